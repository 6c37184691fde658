import pytest
from django.db import IntegrityError

from communities.models import StaffAssignment
from tests import factories

pytestmark = pytest.mark.django_db
Role = StaffAssignment.Role


def test_community_takes_its_district_from_its_street():
    street = factories.StreetFactory()
    community = factories.CommunityFactory(street=street)
    assert community.district_id == street.district_id


def test_a_unit_pairs_with_a_community_once():
    pairing = factories.PairingFactory()
    with pytest.raises(IntegrityError):
        factories.PairingFactory(unit=pairing.unit, community=pairing.community, started_year=2026)


@pytest.mark.parametrize(
    ("role", "place"),
    [
        (Role.COMMUNITY_STAFF, {}),
        (Role.COMMUNITY_STAFF, {"street": "street"}),
        (Role.STREET_STAFF, {"community": "community"}),
        (Role.UNIT_LIAISON, {}),
        (Role.UNIT_LIAISON, {"unit": "unit", "district": "district"}),
        (Role.ORG_DEPARTMENT, {"community": "community"}),
        ("janitor", {}),
    ],
)
def test_a_staff_assignment_names_exactly_the_place_of_its_role(role, place):
    community = factories.CommunityFactory()
    places = {
        "community": community,
        "street": community.street,
        "district": community.district,
        "unit": factories.UnitFactory(),
    }
    with pytest.raises(IntegrityError):
        StaffAssignment.objects.create(
            user=factories.UserFactory(), role=role, **{field: places[name] for field, name in place.items()}
        )


def test_valid_staff_assignments_are_accepted():
    community = factories.CommunityFactory()
    user = factories.UserFactory()
    StaffAssignment.objects.create(user=user, role=Role.COMMUNITY_STAFF, community=community)
    StaffAssignment.objects.create(user=user, role=Role.STREET_STAFF, street=community.street)
    StaffAssignment.objects.create(user=user, role=Role.ORG_DEPARTMENT, district=community.district)
    StaffAssignment.objects.create(user=user, role=Role.ORG_DEPARTMENT)
    StaffAssignment.objects.create(user=user, role=Role.UNIT_LIAISON, unit=factories.UnitFactory())
    assert user.staff_assignments.count() == 5
