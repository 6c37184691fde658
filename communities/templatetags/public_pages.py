"""{% public_fragment %}: a part of a public page served from the shared cache (communities.public_pages).

    {% load public_pages %}
    {% public_fragment "board" community=community fill="board" vary=board_url %} … {% endpublic_fragment %}

`community` (optional) ties the fragment to that community's version; `vary` (optional) is anything else the
fragment differs by; `fill` names a context variable holding a function that returns the fragment's data as a dict,
called only on a miss (so a hit reads no row). The data is pushed into the context while the fragment is drawn.
"""

from django import template
from django.template.base import token_kwargs

from communities import public_pages

register = template.Library()


class PublicFragmentNode(template.Node):
    def __init__(self, nodelist, name, kwargs):
        self.nodelist = nodelist
        self.name = name
        self.kwargs = kwargs

    def render(self, context):
        name = self.name.resolve(context)
        community = self.kwargs["community"].resolve(context) if "community" in self.kwargs else None
        vary = str(self.kwargs["vary"].resolve(context)) if "vary" in self.kwargs else ""
        # The data function is looked up as it is, not called by the template engine's variable resolution.
        fill = context.get(self.kwargs["fill"].resolve(context)) if "fill" in self.kwargs else None
        scopes = [public_pages.community_scope(community.pk)] if community is not None else []

        def draw():
            with context.push(**(fill() if fill is not None else {})):
                return self.nodelist.render(context)

        return public_pages.fragment(name, scopes=scopes, vary=vary, draw=draw)


@register.tag
def public_fragment(parser, token):
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError("public_fragment takes a name, then community=, vary= and fill=.")
    name = parser.compile_filter(bits[1])
    kwargs = token_kwargs(bits[2:], parser)
    if len(kwargs) != len(bits) - 2 or set(kwargs) - {"community", "vary", "fill"}:
        raise template.TemplateSyntaxError("public_fragment takes only community=, vary= and fill=.")
    nodelist = parser.parse(("endpublic_fragment",))
    parser.delete_first_token()
    return PublicFragmentNode(nodelist, name, kwargs)
