"""The lists of requests at a city's size (issue 21): a community's queue reads that community's requests, not every
open request of the city. One OR of the visibility rule's subqueries had PostgreSQL filter all of them (225 ms at
1,000,000 requests); ResidentRequest.objects.listed_for unions the parts so that each reads its own index."""


import pytest
from django.db import connection

from bench import resident_requests as stage
from services.requests import selectors
from services.requests.models import ResidentRequest
from tests import factories

TABLE = ResidentRequest._meta.db_table


def plan_nodes(plan):
    yield plan
    for child in plan.get("Plans", []):
        yield from plan_nodes(child)


def rows_read_elsewhere(queryset) -> int:
    """The rows of the requests' table that the plan read and threw away (filtered out after reading)."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
        (plan,) = cursor.fetchone()[0]  # psycopg2 decodes the JSON
    return sum(
        node.get("Rows Removed by Filter", 0) * node.get("Actual Loops", 1)
        for node in plan_nodes(plan["Plan"])
        if node.get("Relation Name") == TABLE
    )


@pytest.fixture
def city_of_requests(place):
    if connection.vendor != "postgresql":
        pytest.skip("a query plan of PostgreSQL")
    for _ in range(18):
        factories.CommunityFactory()
    stage.load_requests(20_000)  # round-robin over the 20 communities
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {TABLE}")
    return place


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["staff", "street_staff", "worker1", "head"])
@pytest.mark.parametrize("state", ["open", ""])
def test_a_queue_reads_its_own_requests_not_the_citys(city_of_requests, who, state):
    place = city_of_requests
    user = place[who]
    queue = selectors.queue(user=user, state=state)
    own = ResidentRequest.objects.filter(community=place["community"]).count()
    assert queue.count() <= own
    for shape in (queue[:20], queue.order_by().values("pk")):
        assert rows_read_elsewhere(shape) < own // 2, shape.query


@pytest.mark.django_db
def test_the_list_shape_and_the_one_request_shape_see_the_same_requests(place):
    """listed_for (a UNION of the rule's parts) and visible_to (their OR) are two shapes of one rule."""
    from .conftest import raise_request

    first = raise_request(place, building="building1")
    raise_request(place, building="building2")
    ResidentRequest.objects.filter(pk=first.pk).update(handler=place["other_staff"])
    elsewhere_request = ResidentRequest.objects.create(
        community=place["elsewhere"], category="help", text="别处的诉求", channel="public_page",
        received_at=first.received_at, first_response_due_at=first.first_response_due_at,
        resolution_due_at=first.resolution_due_at, token="elsewhere-token",
    )
    for who in ("staff", "street_staff", "worker1", "worker2", "head", "other_staff", "other_street_staff"):
        user = place[who]
        listed = set(ResidentRequest.objects.listed_for(user).values_list("pk", flat=True))
        assert listed == set(ResidentRequest.objects.visible_to(user).values_list("pk", flat=True)), who
    assert set(ResidentRequest.objects.listed_for(place["other_staff"]).values_list("pk", flat=True)) == {
        first.pk, elsewhere_request.pk
    }
