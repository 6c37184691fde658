"""Tags that draw what the apps registered in communities.platform.navigation."""

from django import template
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html_join

from communities.platform import navigation

register = template.Library()


@register.inclusion_tag("partials/tabs.html", takes_context=True)
def tabs(context, menu: str, active: str = ""):
    """The tab strip `menu` ("staff", "member") as the user may see it, `active` marked."""
    user = context["request"].user
    entries = navigation.MENUS[menu].for_user(user)
    return {
        "menu": menu,
        "tabs": [
            {"key": entry.key, "label": entry.label, "url": reverse(entry.url_name), "active": entry.key == active}
            for entry in entries
        ],
    }


@register.simple_tag(takes_context=True)
def panels(context, place: str, subject=None):
    """Every panel registered for `place`, each drawn by its own template."""
    request = context["request"]
    drawn = (
        (render_to_string(panel.template, panel.context(request, subject), request=request),)
        for panel in navigation.panels_for(place, request.user)
    )
    return format_html_join("", "{}", drawn)


@register.simple_tag
def public_links(code: str) -> list[dict]:
    """The public pages of the community with this code, its main page first: {% public_links c.code as links %}."""
    return navigation.public_links_for(code)
