"""The shared pieces of the one look (../shared/STYLE.md "One face"), each drawn by its partial in templates/partials/:
{% page_header title %}…actions…{% endpage_header %}, {% card title %}…{% endcard %}, {% status_badge status label %},
{% empty_state message %}, {% figure_tile label value unit %}. Inclusion tags, so a partial's template is loaded once
and a row of a long list costs no template lookup."""

from django import template
from django.template.loader import get_template

register = template.Library()


# Which colour a status wears, by its stored value, across the apps' state machines: done and good are green,
# waiting is yellow, refused or ended early is red, anything else grey.
TONES = {
    "confirmed": "success",
    "verified": "success",
    "fulfilled": "success",
    "published": "success",
    "completed": "success",
    "active": "success",
    "final": "success",
    "finalised": "success",
    "pending": "warning",
    "submitted": "warning",
    "draft": "warning",
    "computed": "warning",
    "reviewed": "primary",
    "rejected": "danger",
    "cancelled": "danger",
    "withdrawn": "secondary",
    "closed": "secondary",
}


@register.filter
def status_tone(status) -> str:
    return TONES.get(str(status), "secondary")


@register.inclusion_tag("partials/status_badge.html")
def status_badge(status, label, extra_class=""):
    return {"tone": status_tone(status), "label": label, "status": status, "extra_class": extra_class}


@register.inclusion_tag("partials/empty_state.html")
def empty_state(message):
    return {"message": message}


@register.inclusion_tag("partials/figure_tile.html")
def figure_tile(label, value, unit="", key=""):
    return {"label": label, "value": value, "unit": unit, "key": key}


class WrapperNode(template.Node):
    """A partial drawn around the block's own content (its actions or its body)."""

    def __init__(self, template_name, nodelist, title, extra):
        self.template_name, self.nodelist, self.title, self.extra = template_name, nodelist, title, extra
        self._partial = None

    def render(self, context):
        inner = self.nodelist.render(context)
        values = {key: value.resolve(context) for key, value in self.extra.items()}
        values["title"] = self.title.resolve(context)
        values["inner"] = inner
        if self._partial is None:  # looked up once per compiled page, not once per use
            self._partial = get_template(self.template_name)
        return self._partial.render(values)


def _wrapper(name, template_name):
    def parse(parser, token):
        bits = token.split_contents()
        if len(bits) < 2:
            raise template.TemplateSyntaxError(f"{{% {name} %}} takes a title.")
        extra = {}
        for bit in bits[2:]:
            key, _, value = bit.partition("=")
            extra[key] = parser.compile_filter(value)
        nodelist = parser.parse((f"end{name}",))
        parser.delete_first_token()
        return WrapperNode(template_name, nodelist, parser.compile_filter(bits[1]), extra)

    register.tag(name, parse)


# {% page_header _("Needs") sub=… count=… %}<a …>actions</a>{% endpage_header %}
_wrapper("page_header", "partials/page_header.html")
# {% card _("My reports") %}…body…{% endcard %}; flush=1 for a list group that fills the card
_wrapper("card", "partials/card.html")
