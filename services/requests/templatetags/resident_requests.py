from django import template

register = template.Library()


@register.filter
def rate(value) -> str:
    """A rate (a fraction, or None when there was nothing to count) as a percentage with one decimal."""
    if value is None:
        return "—"
    return f"{value * 100:.1f}%"
