"""Whatever is typed, the registration form answers with a page, never a 500; and markup typed into any
free-text field comes back escaped on every page that shows it."""

import pytest
from django.core.cache import cache
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registration.models import Report
from services.models import ServiceNeed
from tests import factories
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db
SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"

FIELDS = [
    "name",
    "id_number",
    "phone",
    "unit_district",
    "unit",
    "position",
    "specialty",
    "service_wishes",
    "home_address",
    "district",
    "street",
    "community",
    "kind",
    "password1",
    "password2",
    "consent",
    "sensitive_consent",
    "narrow",
]
# Any text, including control characters, very long strings and the characters that break parsers.
HOSTILE = st.one_of(
    st.text(max_size=300),
    st.sampled_from(["", " ", "0", "-1", "99999999999999999999", "\x00", "🙂" * 60, SCRIPT, "'; DROP TABLE x;--"]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.dictionaries(st.sampled_from(FIELDS), HOSTILE, max_size=len(FIELDS)))
def test_the_registration_form_never_answers_500(client, data):
    cache.clear()  # each example is a new visitor, not one over the per-IP registration limit
    response = client.post(reverse("registration:register"), {k: v.replace("\x00", "") for k, v in data.items()})
    assert response.status_code in (200, 302)


def test_markup_in_every_free_text_field_is_escaped(client):
    community = factories.CommunityFactory(name=f"社区{SCRIPT}")
    unit = factories.UnitFactory(name=f"单位{SCRIPT}", party_organisation=SCRIPT)
    member = factories.MemberFactory(
        unit=unit, name=f"张{SCRIPT}", position=SCRIPT, specialty=SCRIPT, service_wishes=SCRIPT, home_address=SCRIPT
    )
    report = factories.ReportFactory(
        member=member, community=community, status=Report.Status.REJECTED, reject_reason=SCRIPT
    )
    factories.ReportFactory(member=member, community=community, status=Report.Status.CONFIRMED)
    need = factories.ServiceNeedFactory(
        community=community, title=SCRIPT, description=SCRIPT, location=SCRIPT, status=ServiceNeed.Status.PUBLISHED
    )
    claim = factories.ClaimFactory(need=need, member=member, commitment=SCRIPT)
    factories.ServiceRecordFactory(member=member, community=community, claim=claim, description=SCRIPT)
    staff = make_staff("community", community=community)

    pages = {
        member.user: [
            reverse("registration:member-home"),
            reverse("registration:letter", args=[report.pk]),
            reverse("services:need-board"),
            reverse("services:my-service"),
        ],
        staff: [
            reverse("registration:ledger"),
            reverse("services:staff-need-detail", args=[need.pk]),
            reverse("services:staff-record-queue"),
        ],
        None: [reverse("services:public-board", args=[community.code])],
    }
    for user, urls in pages.items():
        if user:
            client.force_login(user)
        else:
            client.logout()
        for url in urls:
            page = client.get(url).content.decode()
            assert SCRIPT not in page, url
            assert ESCAPED in page, url
