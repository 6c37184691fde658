"""Tags that draw what the apps registered in communities.platform.navigation."""

import functools

from django import template
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template import Context
from django.template.loader import get_template
from django.urls import get_script_prefix, get_urlconf
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from communities.platform import navigation

register = template.Library()


# The sentinel the memoised strip is split at, where each request's inbox entry goes.
_MESSAGES_SLOT = "\x00messages\x00"


@register.simple_tag(takes_context=True)
def tabs(context, menu: str, active: str = ""):
    """The tab strip `menu` ("staff", "member") as the user may see it, `active` marked. The member menu is also
    drawn as the phone's bottom bar: its pinned entries, the inbox and "More", a sheet with every other entry.

    The strip is the same for every user who sees the same entries, so it is rendered once per process for each
    menu, active tab, set of visible entries, language and URL prefix (`_strip`); only the inbox entry, which
    shows this user's unread count, is drawn per request."""
    request = context["request"]
    visible = tuple(entry.key for entry in navigation.MENUS[menu].for_user(request.user))
    key = (menu, active, visible, get_language(), get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())
    # DEBUG: drawn afresh, so that an edited template shows at once.
    head, tail = _strip.__wrapped__(*key) if settings.DEBUG else _strip(*key)
    if tail is None:
        return head
    item = context.template.engine.get_template("partials/tabs_messages.html").render(
        Context(
            {
                "inbox_url": navigation.url_of("communities:inbox"),
                "messages_active": active == "messages",
                # The context processor's lazy count (notifications.unread_count), shared with the header's link.
                "inbox_unread": context.get("inbox_unread"),
            },
            autoescape=context.autoescape,
        )
    )
    return head + item + tail


@functools.lru_cache(maxsize=256)
def _strip(menu: str, active: str, visible: tuple, language, urlconf, script_prefix) -> tuple[str, str | None]:
    """The strip rendered, split where the inbox entry goes: (before, after), or (whole, None) if it has none.
    The arguments after `visible` are the key only: the rendering reads them from the request's state."""
    entries = [entry for entry in navigation.MENUS[menu].entries() if entry.key in visible]
    drawn = [
        {
            "key": entry.key,
            "label": entry.label,
            "bar_label": entry.bar_label,
            "url": entry.url,
            "active": entry.key == active,
        }
        for entry in entries
    ]
    more = [tab for tab in drawn if tab["bar_label"] is None]
    html = get_template("partials/tabs.html").render(
        {
            "menu": menu,
            "tabs": drawn,
            "bar": [tab for tab in drawn if tab["bar_label"] is not None],
            "more": more,
            "more_active": any(tab["active"] for tab in more),
            "messages_item": _MESSAGES_SLOT,
        }
    )
    head, slot, tail = html.partition(_MESSAGES_SLOT)
    # Rendered by a project template with autoescape on: the parts of that output stay as safe as the whole.
    return (mark_safe(head), mark_safe(tail)) if slot else (mark_safe(html), None)  # noqa: S308  # nosec B308 B703


@receiver(setting_changed)
def _forget_strips(*, setting, **kwargs):
    if setting in ("TEMPLATES", "ROOT_URLCONF", "DEBUG", "LANGUAGES"):
        _strip.cache_clear()


@register.simple_tag(takes_context=True)
def panels(context, place: str, subject=None):
    """Every panel registered for `place`, each drawn by its own template within the page's context (as
    {% include %} draws: the panel's values on top of the page's), not in a RequestContext of its own: that ran
    every context processor again for each panel."""
    request = context["request"]
    engine = context.template.engine
    drawn = []
    for panel in navigation.panels_for(place, request.user):
        with context.push(panel.context(request, subject)):
            drawn.append(engine.get_template(panel.template).render(context))
    return format_html_join("", "{}", ((part,) for part in drawn))  # safe strings: kept as they are


@register.simple_tag
def url_of(url_name: str) -> str:
    """{% url name %} for a URL without arguments, reversed once per process (navigation.url_of): the page
    frame's links are the same on every page."""
    return navigation.url_of(url_name)


@register.simple_tag
def public_links(code: str) -> list[dict]:
    """The public pages of the community with this code, its main page first: {% public_links c.code as links %}."""
    return navigation.public_links_for(code)
