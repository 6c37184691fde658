"""The members' bottom navigation on a phone (issue 17): five places that never scroll sideways — 首页 / 需求 /
我的服务 / 消息 (its unread count in its accessible name) / 更多 — and under 更多 a sheet with every other entry the
navigation registry holds for that member, the current page marked there too."""

from html.parser import HTMLParser

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from communities.models import Notification
from communities.platform import navigation
from registration.models import Report
from tests import factories

pytestmark = pytest.mark.django_db


class Places(HTMLParser):
    """The links and buttons (by data-key) inside the bottom bar and inside the "More" sheet, in order."""

    def __init__(self):
        super().__init__()
        self.bar, self.sheet = [], []
        self._where = []  # the open elements' roles: "bar", "sheet" or None
        self._current = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        role = "bar" if "member-bar" in classes else "sheet" if attrs.get("id") == "member-more" else None
        if tag not in ("input", "br", "img", "meta", "link"):
            self._where.append(role)
        inside = next((where for where in reversed(self._where) if where), None)
        if inside and "data-key" in attrs and tag in ("a", "button"):
            self._current = {"tag": tag, "text": "", **attrs}
            (self.bar if inside == "bar" else self.sheet).append(self._current)

    def handle_endtag(self, tag):
        if tag in ("a", "button"):
            self._current = None
        if self._where and tag not in ("input", "br", "img", "meta", "link"):
            self._where.pop()

    def handle_data(self, data):
        if self._current is not None:
            self._current["text"] += data


def places(html: str) -> Places:
    parser = Places()
    parser.feed(html)
    return parser


@pytest.fixture
def member(client):
    member = factories.MemberFactory()
    factories.ReportFactory(member=member, status=Report.Status.CONFIRMED)
    client.force_login(member.user)
    return member


def test_the_bar_holds_four_fixed_places_and_more_and_the_sheet_every_other_entry(client, member):
    found = places(client.get(reverse("registration:member-home")).content.decode())

    assert [place["data-key"] for place in found.bar] == ["home", "board", "service", "messages", "more"]
    assert [place["text"].strip() for place in found.bar] == ["首页", "需求", "我的服务", "消息", "更多"]
    assert found.bar[0].get("aria-current") == "page"
    more = found.bar[-1]
    assert more["tag"] == "button" and more["data-bs-toggle"] == "offcanvas"
    assert more["data-bs-target"] == "#member-more"
    # The sheet: every entry the registry holds for this member that is not pinned, in the registry's order.
    expected = [e for e in navigation.member_tabs.for_user(member.user) if e.bar_label is None]
    assert len(expected) >= 3  # teams, activities, time bank, assessment … : the reason for the sheet
    assert [place["data-key"] for place in found.sheet] == [entry.key for entry in expected]
    assert [place["href"] for place in found.sheet] == [reverse(entry.url_name) for entry in expected]
    assert [place["text"].strip() for place in found.sheet] == [str(entry.label) for entry in expected]
    assert not any("aria-current" in place for place in found.sheet)


def test_the_current_page_under_more_is_marked_in_the_sheet_and_on_more(client, member):
    found = places(client.get(reverse("assessment:my-result")).content.decode())

    current = [place["data-key"] for place in found.sheet if place.get("aria-current") == "page"]
    assert current == ["assessment"]
    assert not any("aria-current" in place for place in found.bar)
    more = found.bar[-1]
    assert "active" in more["class"].split()
    assert "当前页面在此" in more["text"]


def test_the_messages_place_says_how_many_are_unread(client, member):
    for number in range(2):
        Notification.objects.create(user=member.user, kind="test", title=f"消息{number}")
    found = places(client.get(reverse("services:need-board")).content.decode())

    messages = found.bar[3]
    assert messages["href"] == reverse("communities:inbox")
    assert messages["aria-label"] == "消息，2 条未读"
    assert found.bar[1].get("aria-current") == "page"


def test_a_fourth_pinned_entry_is_refused():
    menu = navigation.Menu("probe")
    for number in range(navigation.BAR_PINNED_MAX):
        menu.add(f"e{number}", "label", "home", bar_label="short")
    with pytest.raises(ImproperlyConfigured):
        menu.add("one-too-many", "label", "home", bar_label="short")
    menu.add("unpinned", "label", "home")  # an unpinned entry goes under More


def test_the_inbox_keeps_a_members_bar_with_messages_marked(client, member):
    found = places(client.get(reverse("communities:inbox")).content.decode())

    assert [place["data-key"] for place in found.bar] == ["home", "board", "service", "messages", "more"]
    assert found.bar[3].get("aria-current") == "page"
    assert not any("aria-current" in place for place in found.bar[:3])


def test_the_inbox_draws_no_member_bar_for_staff(client):
    from tests.conftest import make_staff

    staff = make_staff("community", community=factories.CommunityFactory())
    client.force_login(staff)
    html = client.get(reverse("communities:inbox"), follow=True).content.decode()

    assert "member-bar" not in html and "消息" in html
