"""Tags that draw what the apps registered in communities.platform.navigation."""

from django import template
from django.utils.html import format_html_join

from communities.platform import navigation

register = template.Library()


@register.inclusion_tag("partials/tabs.html", takes_context=True)
def tabs(context, menu: str, active: str = ""):
    """The tab strip `menu` ("staff", "member") as the user may see it, `active` marked. The member menu is also
    drawn as the phone's bottom bar: its pinned entries, the inbox and "More", a sheet with every other entry."""
    user = context["request"].user
    entries = navigation.MENUS[menu].for_user(user)
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
    return {
        "menu": menu,
        "tabs": drawn,
        "bar": [tab for tab in drawn if tab["bar_label"] is not None],
        "more": more,
        "more_active": any(tab["active"] for tab in more),
        "messages_active": active == "messages",
        # The context processor's lazy count: one query per page, shared with the header's link.
        "inbox_unread": context.get("inbox_unread"),
    }


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
def public_links(code: str) -> list[dict]:
    """The public pages of the community with this code, its main page first: {% public_links c.code as links %}."""
    return navigation.public_links_for(code)
