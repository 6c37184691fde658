"""{{ leg.tenths|tenths }}: an amount in tenths as credits or hours (12 → 1.2)."""

from django import template

from ..models import tenths_text

register = template.Library()


@register.filter
def tenths(value) -> str:
    return tenths_text(int(value or 0))
