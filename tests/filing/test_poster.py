"""The poster and the public board (issue 17 "details"): each need's time, place and contact laid out, six needs to
an A4 sheet; who serves here grouped by unit."""

import datetime
import re

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import timezone

from registration.models import Report
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def community():
    return factories.CommunityFactory(name="幸福里社区", address="幸福路8号")


def test_six_needs_fill_a_sheet_each_with_time_place_and_contact(client, community):
    start = timezone.now() + datetime.timedelta(days=3)
    for number in range(7):
        factories.ServiceNeedFactory(
            community=community, title=f"需求{number}", starts_at=start, location="活动室" if number else ""
        )
    html = client.get(reverse("services:public-board-print", args=[community.code])).content.decode()
    sheets = re.findall(r'<section class="sheet">.*?</section>', html, re.S)
    assert [sheet.count('<article class="need') for sheet in sheets] == [6, 1]
    assert all("<svg" in sheet for sheet in sheets)  # the QR code on every sheet
    cards = re.findall(r"<article.*?</article>", html, re.S)
    for card in cards:
        assert "时间" in card and "地点" in card and "联系方式" in card and "名额" in card
        assert "幸福里社区办公室（幸福路8号）" in card
    no_place = next(card for card in cards if "需求0" in card)
    assert "<dd>幸福路8号</dd>" in no_place  # no place of its own: the community's office


def test_the_print_css_puts_six_cards_on_an_a4_sheet():
    css = open(finders.find("css/board-print.css"), encoding="utf-8").read()
    assert "size: A4" in css and "break-after: page" in css
    assert "grid-template-columns: 1fr 1fr" in css and "grid-auto-rows: 70mm" in css
    # Three rows of 70 mm and two 4 mm gaps, under a heading of about 40 mm, fit the 273 mm inside the margins.
    assert 3 * 70 + 2 * 4 + 40 <= 297 - 2 * 12


def test_who_serves_here_is_grouped_by_unit(client, community):
    east, west = factories.UnitFactory(name="东区医院"), factories.UnitFactory(name="西区学校")
    for unit, names in [(east, ["甲", "乙"]), (west, ["丙"])]:
        for name in names:
            member = factories.MemberFactory(name=name, unit=unit, public_listing_consented_at=timezone.now())
            factories.ReportFactory(member=member, community=community, status=Report.Status.CONFIRMED)
    for page in ("services:public-board", "services:public-board-print"):
        html = client.get(reverse(page, args=[community.public_slug])).content.decode()
        block = re.search(r'<dl class="[^"]*serving-by-unit">.*?</dl>', html, re.S).group(0)
        units = re.findall(r"<dt>(.*?)</dt>", block, re.S)
        assert [re.sub(r"<.*", "", unit, flags=re.S).strip() for unit in units] == ["东区医院", "西区学校"]
        assert block.count("东区医院") == 1  # the unit once, not after every name
    board = client.get(reverse("services:public-board", args=[community.public_slug])).content.decode()
    assert "2 人" in board and "1 人" in board


def test_the_guessable_code_shows_no_member_list_and_an_empty_list_says_why(client, community):
    member = factories.MemberFactory(name="丁", public_listing_consented_at=timezone.now())
    factories.ReportFactory(member=member, community=community, status=Report.Status.CONFIRMED)
    for page in ("services:public-board", "services:public-board-print"):
        at_code = client.get(reverse(page, args=[community.code])).content.decode()
        assert "serving" not in at_code and "丁" not in at_code
    alone = factories.CommunityFactory()
    html = client.get(reverse("services:public-board", args=[alone.public_slug])).content.decode()
    assert "暂无同意公示的在职党员" in html and "<dl" not in html.split("serving", 1)[1]
