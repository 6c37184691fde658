"""The assessment's permission rules (services.assessment.policies), each for every role."""

import pytest

from communities.platform import policies
from tests import factories

pytestmark = pytest.mark.django_db

ROLES = ("community", "street", "unit", "org_district", "org_city", "member", "superuser")


@pytest.fixture
def people(staff_users):
    return {
        **staff_users,
        "member": factories.MemberFactory().user,
        "superuser": factories.UserFactory(is_superuser=True, is_staff=True),
    }


@pytest.mark.parametrize(
    ("policy", "allowed"),
    [
        ("assessment.open_staff_pages", {"community", "street", "superuser"}),
        ("assessment.review", {"community"}),
        ("assessment.open_unit_results", {"unit", "org_district", "org_city", "superuser"}),
        ("assessment.open_admin_page", {"org_district", "org_city", "superuser"}),
    ],
)
def test_who_may_open_the_assessment_pages(people, policy, allowed):
    assert {role for role in ROLES if policies.allowed(policy, people[role])} == allowed


def test_running_a_district_is_for_its_org_department_the_citys_and_superusers(people, city):
    mine, other = city["districts"]
    assert {role for role in ROLES if policies.allowed("assessment.run", people[role], mine)} == {
        "org_district",
        "org_city",
        "superuser",
    }
    assert {role for role in ROLES if policies.allowed("assessment.run", people[role], other)} == {
        "org_city",
        "superuser",
    }
    assert {role for role in ROLES if policies.allowed("assessment.run", people[role], None)} == {
        "org_city",
        "superuser",
    }
