"""A resident on a phone, who does not know the community's code, reaches its needs from / in three taps."""

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.e2e.conftest import PHONE

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_a_resident_reaches_a_communitys_needs_from_home_in_three_taps(live_server, browser):
    street = factories.StreetFactory(district=factories.DistrictFactory(name="城关区"), name="酒泉路街道")
    community = factories.CommunityFactory(street=street, name="金塔巷社区")
    factories.CommunityFactory(street=street, name="中山路社区")
    factories.ServiceNeedFactory(community=community, title="陪独居老人看病")
    phone = browser.new_context(**PHONE).new_page()

    phone.goto(f"{live_server.url}/")
    expect(phone.get_by_role("heading", name="找到您的社区")).to_be_visible()
    expect(phone.get_by_role("link", name="在职党员注册报到")).to_be_visible()
    assert no_sideways_scroll(phone)
    phone.get_by_role("link", name="城关区").click()
    phone.get_by_role("link", name="酒泉路街道").click()
    assert no_sideways_scroll(phone)
    phone.get_by_role("link", name="金塔巷社区").click()
    phone.wait_for_url(f"{live_server.url}/c/{community.code}/board/")
    expect(phone.get_by_text("陪独居老人看病")).to_be_visible()
    assert no_sideways_scroll(phone)


def test_a_resident_finds_a_community_by_a_part_of_its_name(live_server, browser):
    community = factories.CommunityFactory(name="金塔巷社区")
    factories.CommunityFactory(name="中山路社区")
    phone = browser.new_context(**PHONE).new_page()

    phone.goto(f"{live_server.url}/")
    phone.get_by_label("按社区名称查找").fill("金塔")
    phone.get_by_role("button", name="查询").click()
    expect(phone.get_by_role("heading", name="找到 1 个社区")).to_be_visible()
    phone.get_by_role("link", name="金塔巷社区").click()
    phone.wait_for_url(f"{live_server.url}/c/{community.code}/board/")
