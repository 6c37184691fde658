"""One view, a small template rendered by the project's template engine, no database: the ceiling."""

from django.http import HttpResponse
from django.template import engines
from django.urls import path
from django.utils import timezone

PAGE = engines["django"].from_string(
    '<!doctype html><html lang="zh-hans"><head><meta charset="utf-8"><title>{{ title }}</title></head>'
    "<body><h1>{{ title }}</h1><ul>{% for item in items %}<li>{{ item }}</li>{% endfor %}</ul>"
    '<p>{{ now|date:"Y-m-d H:i:s" }}</p></body></html>'
)


def trivial(request):
    context = {"title": "在职党员到社区报到", "items": ["报到", "需求", "认领", "记实", "考核"], "now": timezone.now()}
    return HttpResponse(PAGE.render(context))


urlpatterns = [path("", trivial, name="trivial")]
