"""Navigation as data (as django-oscar declares its dashboard menu): the tab strips of each kind of page, the
panels of a home page and where the home page sends each user. Apps add their entries from ``AppConfig.ready()``
(``staff_tabs.add("queue", _("Reports to confirm"), "registration:report-queue", order=20)``); templates render
them with ``{% load platform %}{% tabs "staff" "queue" %}`` and ``{% panels "member_home" member %}``. Each entry
may name a policy (communities.platform.policies): it is shown only to the users the policy allows.
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, get_urlconf, reverse

from . import policies


@dataclass(frozen=True)
class Entry:
    key: str
    label: object  # a lazy translation
    url_name: str
    policy: str | None = None
    order: int = 100
    bar_label: object = None  # a short lazy translation: the entry is pinned in the phone's bottom bar

    def visible_to(self, user) -> bool:
        return self.policy is None or policies.allowed(self.policy, user)

    @property
    def url(self) -> str:
        return url_of(self.url_name)


def url_of(url_name: str) -> str:
    """reverse(url_name) for a URL without arguments, reversed once per URLconf and script prefix: a tab strip
    draws every entry on every page, and the answer never changes while the process runs."""
    return _reversed(url_name, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())


@functools.lru_cache(maxsize=512)
def _reversed(url_name: str, urlconf: str, script_prefix: str) -> str:
    return reverse(url_name, urlconf=urlconf)  # reverse() reads the script prefix itself: it is in the key


@receiver(setting_changed)
def _forget_urls(*, setting, **kwargs):
    if setting == "ROOT_URLCONF":  # the same module name may now hold other patterns (tests)
        _reversed.cache_clear()


# The phone's bottom bar holds five places: the pinned entries, the inbox and "More" (every other entry).
BAR_PINNED_MAX = 3


class Menu:
    """One strip of tabs; entries sorted by order."""

    def __init__(self, name: str):
        self.name = name
        self._entries: dict[str, Entry] = {}
        self._audience: str | None = None

    def restrict_to(self, policy: str) -> None:
        """Whom the strip is for, as a whole (the member menu: members), for the pages every role shares (the
        inbox) that draw it only for them. Entries still have their own policies."""
        self._audience = policy

    def shown_to(self, user) -> bool:
        return self._audience is None or policies.allowed(self._audience, user)

    def add(
        self, key: str, label, url_name: str, *, policy: str | None = None, order: int = 100, bar_label=None
    ) -> None:
        if key in self._entries:
            raise ImproperlyConfigured(f"The {self.name} tabs have two entries named {key!r}.")
        if bar_label is not None and sum(e.bar_label is not None for e in self._entries.values()) >= BAR_PINNED_MAX:
            raise ImproperlyConfigured(
                f"The {self.name} bottom bar pins at most {BAR_PINNED_MAX} entries; {key!r} belongs under More."
            )
        self._entries[key] = Entry(
            key=key, label=label, url_name=url_name, policy=policy, order=order, bar_label=bar_label
        )

    def entries(self) -> list[Entry]:
        return sorted(self._entries.values(), key=lambda entry: (entry.order, entry.key))

    def for_user(self, user) -> list[Entry]:
        """The entries this user may see; each policy asked once, however many entries name it (a policy may
        read the cache: two tabs of one role cost one read)."""
        decided: dict[str, bool] = {}

        def visible(entry: Entry) -> bool:
            if entry.policy is None:
                return True
            if entry.policy not in decided:
                decided[entry.policy] = policies.allowed(entry.policy, user)
            return decided[entry.policy]

        return [entry for entry in self.entries() if visible(entry)]


# The pages of community, street and organisation-department staff outside the admin.
staff_tabs = Menu("staff")
# A member's pages (on a phone: the bottom navigation).
member_tabs = Menu("member")
MENUS = {menu.name: menu for menu in (staff_tabs, member_tabs)}


@dataclass(frozen=True)
class Panel:
    key: str
    template: str
    context: Callable  # (request, subject) -> dict for the template
    policy: str | None = None
    order: int = 100


_panels: dict[str, list[Panel]] = {}


def add_panel(place: str, key: str, *, template: str, context: Callable, policy=None, order: int = 100) -> None:
    """A panel on a home page (`place`: "member_home"), drawn by `template` with `context(request, subject)`."""
    panels = _panels.setdefault(place, [])
    if any(panel.key == key for panel in panels):
        raise ImproperlyConfigured(f"{place} has two panels named {key!r}.")
    panels.append(Panel(key=key, template=template, context=context, policy=policy, order=order))
    panels.sort(key=lambda panel: (panel.order, panel.key))


def panels_for(place: str, user) -> list[Panel]:
    return [panel for panel in _panels.get(place, []) if panel.policy is None or policies.allowed(panel.policy, user)]


@dataclass(frozen=True)
class Destination:
    url_name: str
    policy: str
    order: int


_destinations: list[Destination] = []


def add_home(url_name: str, *, policy: str, order: int) -> None:
    """Where the home page sends the users `policy` allows; the lowest order that allows a user wins."""
    _destinations.append(Destination(url_name=url_name, policy=policy, order=order))
    _destinations.sort(key=lambda destination: destination.order)


def home_url_for(user) -> str | None:
    """Where the home page sends this user: the place of their widest role, or None if they have none."""
    for destination in _destinations:
        if policies.allowed(destination.policy, user):
            return reverse(destination.url_name)
    return None


# The site's public entries (no login): the ways in for a visitor of the front door (register, log in).
public_tabs = Menu("public")
MENUS[public_tabs.name] = public_tabs


@dataclass(frozen=True)
class PublicLink:
    """A public page of a community (no login), reached by its code: the needs board, its poster …"""

    key: str
    label: object  # a lazy translation
    url_name: str  # a URL that takes the community's code as its one argument
    order: int = 100

    def url(self, code: str) -> str:
        return reverse(self.url_name, args=[code])


_public_links: dict[str, PublicLink] = {}


def add_public_link(key: str, label, url_name: str, *, order: int = 100) -> None:
    """A public page every community has; the lowest order is its main public page (where its name leads)."""
    if key in _public_links:
        raise ImproperlyConfigured(f"The public pages of a community have two entries named {key!r}.")
    _public_links[key] = PublicLink(key=key, label=label, url_name=url_name, order=order)


def public_links() -> list[PublicLink]:
    return sorted(_public_links.values(), key=lambda link: (link.order, link.key))


def public_links_for(code: str) -> list[dict]:
    """The public pages of the community with this code, main page first: [{"key", "label", "url"}]."""
    return [{"key": link.key, "label": link.label, "url": link.url(code)} for link in public_links()]


@dataclass(frozen=True)
class RatesTab:
    """A tab of the rates pages contributed by another app (the requests' figures, the pairing ledger …): drawn by
    `template` with `context(request, year)`, inside the organisation department's rates pages in the admin and the
    street staff's rates pages alike. The context function filters by the user's scope itself."""

    key: str
    label: object  # a lazy translation
    template: str
    context: Callable  # (request, year) -> dict for the template
    policy: str | None = None
    order: int = 100

    def visible_to(self, user) -> bool:
        return self.policy is None or policies.allowed(self.policy, user)


_rates_tabs: dict[str, RatesTab] = {}


def add_rates_tab(key: str, label, *, template: str, context: Callable, policy=None, order: int = 100) -> None:
    """A tab after the rates pages' own ("by place", "by unit"); `policy` narrows who sees it beyond the page's."""
    if key in _rates_tabs:
        raise ImproperlyConfigured(f"The rates pages have two tabs named {key!r}.")
    _rates_tabs[key] = RatesTab(key=key, label=label, template=template, context=context, policy=policy, order=order)


def rates_tabs_for(user) -> list[RatesTab]:
    return sorted(
        (tab for tab in _rates_tabs.values() if tab.visible_to(user)), key=lambda tab: (tab.order, tab.key)
    )


def rates_tab(key: str) -> RatesTab | None:
    return _rates_tabs.get(key)
