import pytest

from communities.models import StaffAssignment
from tests import factories

Role = StaffAssignment.Role


@pytest.fixture
def city(db):
    """Two districts, each with two streets of two communities, and a unit per district plus a city-level one."""
    districts = [factories.DistrictFactory() for _ in range(2)]
    streets = [factories.StreetFactory(district=district) for district in districts for _ in range(2)]
    communities = [factories.CommunityFactory(street=street) for street in streets for _ in range(2)]
    units = [factories.UnitFactory(district=district) for district in districts] + [
        factories.UnitFactory(district=None)
    ]
    return {"districts": districts, "streets": streets, "communities": communities, "units": units}


def make_staff(role, *, is_staff=False, **place):
    user = factories.UserFactory(is_staff=is_staff)
    StaffAssignment.objects.create(user=user, role=role, **place)
    return user


@pytest.fixture
def staff_users(city):
    """One user per role, each scoped to the first place of its kind in `city`."""
    return {
        "community": make_staff(Role.COMMUNITY_STAFF, community=city["communities"][0]),
        "street": make_staff(Role.STREET_STAFF, street=city["streets"][0]),
        "unit": make_staff(Role.UNIT_LIAISON, unit=city["units"][0]),
        "org_district": make_staff(Role.ORG_DEPARTMENT, is_staff=True, district=city["districts"][0]),
        "org_city": make_staff(Role.ORG_DEPARTMENT, is_staff=True),
    }
