"""The two registries added to the platform for this issue: dashboard tiles and row marks."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from communities.platform import marks, tiles
from communities.platform.registry import PlacedRegistry
from services.models import ServiceRecord
from services.selectors import RECORD_QUEUE

pytestmark = pytest.mark.django_db


def test_tiles_are_drawn_in_order_with_their_values(monkeypatch):
    monkeypatch.setattr(tiles, "_tiles", PlacedRegistry("tile"))
    tiles.add_tile("place", "b", "B", "u", value=lambda **arguments: arguments["n"] * 2, order=20)
    tiles.add_tile("place", "a", "A", "u", value=lambda **arguments: arguments["n"], order=10)
    assert [(tile["key"], tile["value"]) for tile in tiles.figures_for("place", n=3)] == [("a", 3), ("b", 6)]
    assert tiles.figures_for("elsewhere", n=3) == []
    with pytest.raises(ImproperlyConfigured):
        tiles.add_tile("place", "a", "A", "u", value=lambda **arguments: 0)


def test_marks_annotate_the_query_and_label_each_row(monkeypatch):
    monkeypatch.setattr(marks, "_marks", PlacedRegistry("mark"))
    from django.db.models import Value

    marks.add_mark("list", "long", annotate=lambda rows: rows.annotate(flag=Value(1)),
                   label=lambda row: "长" if getattr(row, "flag", 0) else None)
    queryset = marks.annotate("list", ServiceRecord.objects.all())
    assert "flag" in queryset.query.annotations
    assert marks.labels("list", type("Row", (), {"flag": 1})()) == ["长"]
    assert marks.labels("list", object()) == []
    with pytest.raises(ImproperlyConfigured):
        marks.add_mark("list", "long", annotate=lambda rows: rows, label=lambda row: None)


def test_the_activities_register_their_mark_on_the_record_queue_and_the_teams_their_tile():
    assert [mark.key for mark in marks._marks[RECORD_QUEUE].items()] == ["resident_confirmed"]
    assert "teams" in [tile.key for tile in tiles._tiles["staff_dashboard"].items()]
