"""Lets pages of lower apps (the member home in registration) show service figures without importing services."""

from django import template

from services.selectors import member_service_summary

register = template.Library()


@register.inclusion_tag("services/partials/service_summary.html")
def service_summary(member):
    """The member's time bank, this year's points and stars."""
    return {"summary": member_service_summary(member=member)}
