"""The pairing ledger in a browser at phone size: a unit's liaison records what the unit pledges to its paired
community, the community's staff record what was delivered, and both show in the unit's row of the street's rates
tab "pledged vs delivered per unit" — every page without sideways scroll and without a serious axe finding."""


import pytest
from playwright.sync_api import expect

from registration.models import Report
from services.models import ServiceRecord
from tests import factories
from tests.conftest import make_staff
from tests.e2e.conftest import PHONE, log_in_with_password
from tests.e2e.test_walk import AXE, AXE_RUN, MEASURE, SCREENS

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def checked(page, name):
    """No sideways scroll, no wrapped tab label, no serious axe finding; a screenshot for the record."""
    measured = page.evaluate(MEASURE)
    assert measured["scroll"] <= 0 and not measured["wrapped"], measured
    page.evaluate(AXE.read_text())
    assert page.evaluate(AXE_RUN) == []
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"pairing-{name}-phone.png"), full_page=True)


def test_a_units_pledge_and_delivery_show_in_its_tab(live_server, browser):
    street = factories.StreetFactory(name="酒泉路街道")
    community = factories.CommunityFactory(street=street, name="金塔巷社区")
    unit = factories.UnitFactory(district=street.district, name="城关区财政局")
    pairing = factories.PairingFactory(unit=unit, community=community, started_year=2024)
    need = factories.ServiceNeedFactory(community=community, title="陪独居老人看病")
    member = factories.ReportFactory(member__unit=unit, community=community, status=Report.Status.CONFIRMED).member
    factories.ServiceRecordFactory(member=member, community=community, status=ServiceRecord.Status.VERIFIED)
    liaison = make_staff("unit", unit=unit)
    staff = make_staff("community", community=community)
    street_staff = make_staff("street", street=street)
    page = browser.new_context(**PHONE).new_page()

    # The liaison records the pledge.
    log_in_with_password(page, live_server, liaison.username)
    page.goto(f"{live_server.url}/pairing/")
    expect(page.get_by_role("heading", name="城关区财政局")).to_be_visible()
    checked(page, "ledger")
    page.get_by_role("link", name="承诺与兑现").click()
    page.get_by_role("link", name="登记承诺").click()
    page.get_by_label("类型").select_option(label="承接需求")
    page.get_by_label("承诺事项").fill("承接陪诊需求")
    page.get_by_label("说明").fill("每月安排两名党员陪诊")
    page.get_by_label("承接的需求").select_option(value=str(need.pk))
    checked(page, "pledge-form")
    page.get_by_role("button", name="登记承诺").click()
    expect(page.get_by_text("承诺已登记。")).to_be_visible()
    expect(page.get_by_text("尚未兑现。")).to_be_visible()
    checked(page, "pairing")
    page.context.clear_cookies()

    # The community's staff record the delivery.
    log_in_with_password(page, live_server, staff.username)
    page.goto(f"{live_server.url}/pairing/{pairing.pk}/")
    page.get_by_role("link", name="登记兑现").click()
    page.get_by_label("兑现内容").fill("陪同张大爷到市医院复查")
    page.get_by_label("满足的需求").select_option(value=str(need.pk))
    page.get_by_role("button", name="登记兑现").click()
    expect(page.get_by_text("陪同张大爷到市医院复查")).to_be_visible()
    page.context.clear_cookies()

    # The street's rates pages: the unit's row, pledged and delivered.
    log_in_with_password(page, live_server, street_staff.username)
    page.goto(f"{live_server.url}/registration/rates/")
    page.get_by_role("link", name="承诺与兑现（按单位）").click()
    row = page.locator(f'tr[data-pairing="{pairing.pk}"]')
    expect(row.locator('[data-figure="pledged"]')).to_have_text("1")
    expect(row.locator('[data-figure="pledges_delivered"]')).to_have_text("1")
    expect(row.locator('[data-figure="hours"]')).to_have_text("2.0")
    checked(page, "street-tab")
    assert need.title
