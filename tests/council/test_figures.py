"""The figures per community, one definition each (docs/COUNCIL.md): topics raised in the year (not withdrawn),
resolved (a resolution passed), done on time (reported done on or before the due date), accepted."""

import datetime

import pytest
from django.utils import timezone

from communities.models import Community
from services.council import selectors, services
from services.council.models import Party

from .conftest import announce, hold, pass_resolution

pytestmark = pytest.mark.django_db


def test_each_figure_by_its_definition(world, other_world):
    today = timezone.localdate()
    # 1: accepted, done on time.
    on_time = pass_resolution(world, due_on=today + datetime.timedelta(days=5))
    services.resolution_progress(resolution_id=on_time.pk, percent=100, note="完成", actor=world.contact)
    services.resolution_review(resolution_id=on_time.pk, accept=True, actor=world.resident)
    # 2: done after its due date (reported today, due yesterday), not accepted yet.
    late = pass_resolution(world, due_on=today - datetime.timedelta(days=1))
    services.resolution_progress(resolution_id=late.pk, percent=100, note="完成", actor=world.contact)
    # 3: in progress.
    pass_resolution(world)
    # 4: not passed; 5: deferred; 6: withdrawn (not counted).
    meeting = announce(world)
    hold(world, meeting)
    services.item_decide(item_id=meeting.items.get().pk, actor=world.staff,
                         positions={p: "against" for p in Party.values})
    meeting = announce(world)
    hold(world, meeting)
    services.item_decide(item_id=meeting.items.get().pk, actor=world.staff, deferred_reason="再议")
    withdrawn = services.topic_raise(council_id=world.council.pk, title="撤回", description="d", actor=world.staff)
    services.topic_withdraw(topic_id=withdrawn.pk, actor=world.staff)
    # Another community, and a topic of another year, counted apart.
    pass_resolution(other_world)
    found = selectors.figures_by_community(communities=Community.objects.all(), year=today.year)
    mine = found[world.council.community_id]
    assert (mine.topics, mine.resolved, mine.on_time, mine.accepted) == (5, 3, 1, 1)
    assert found[other_world.council.community_id].topics == 1
    assert selectors.figures_by_community(communities=Community.objects.all(), year=today.year - 1) == {}


def test_a_sent_back_resolution_is_not_on_time_until_redone(world):
    resolution = pass_resolution(world, due_on=timezone.localdate() + datetime.timedelta(days=5))
    services.resolution_progress(resolution_id=resolution.pk, percent=100, note="完成", actor=world.contact)
    services.resolution_review(resolution_id=resolution.pk, accept=False, reason="缺两个", actor=world.resident)
    figures = selectors.figures_by_community(communities=Community.objects.all(), year=timezone.localdate().year)
    assert figures[world.council.community_id].on_time == 0
    services.resolution_progress(resolution_id=resolution.pk, percent=100, note="补齐", actor=world.contact)
    figures = selectors.figures_by_community(communities=Community.objects.all(), year=timezone.localdate().year)
    assert figures[world.council.community_id].on_time == 1


def test_the_figures_are_scoped(world, other_world, staff_users):
    assert set(selectors.figure_communities(user=staff_users["street"])) == set(
        Community.objects.filter(street=world.council.community.street))
    assert other_world.council.community not in selectors.figure_communities(user=staff_users["street"])
    assert other_world.council.community in selectors.figure_communities(user=staff_users["org_district"])
