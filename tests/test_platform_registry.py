"""The one registry shape the platform's tiles and marks and the apps' sources of figures share."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from communities.platform.registry import PlacedRegistry, Registry


def test_items_come_back_by_order_then_key_and_a_late_addition_is_seen():
    registry = Registry("thing")
    registry.add("b", "B", order=20)
    registry.add("a", "A", order=20)
    registry.add("z", "Z", order=10)
    assert registry.items() == ["Z", "A", "B"]
    registry.add("first", "F", order=1)
    assert registry.items() == ["F", "Z", "A", "B"]
    assert "a" in registry and "c" not in registry and len(registry) == 4


def test_a_key_added_twice_is_refused_at_start_up():
    registry = Registry("delivery source")
    registry.add("hours", 1)
    with pytest.raises(ImproperlyConfigured, match="Two delivery sources are named 'hours'"):
        registry.add("hours", 2)


def test_each_place_has_its_own_registry():
    placed = PlacedRegistry("tile")
    placed["dashboard"].add("teams", "T")
    placed["public"].add("teams", "P")  # the same key on another page is another item
    assert placed["dashboard"].items() == ["T"] and placed["public"].items() == ["P"]
    assert placed["empty"].items() == []


def test_a_copy_takes_additions_without_changing_the_original():
    registry = Registry("thing")
    registry.add("a", "A")
    twin = registry.copy()
    twin.add("b", "B")
    assert (registry.items(), twin.items()) == (["A"], ["A", "B"])


def test_the_apps_registries_are_built_on_it():
    from communities.platform import marks, tiles
    from services.certificates import sources as points_sources
    from services.pairing import sources as delivery_sources

    assert isinstance(tiles._tiles, PlacedRegistry) and isinstance(marks._marks, PlacedRegistry)
    assert isinstance(points_sources._sources, Registry) and isinstance(delivery_sources._sources, Registry)
    assert [source.key for source in delivery_sources.sources()] == sorted(
        (source.key for source in delivery_sources.sources()),
        key=lambda key: (delivery_sources._sources._items[key][0], key),
    )


def test_an_item_is_found_by_its_key():
    registry = Registry("thing")
    registry.add("a", "A")
    assert (registry.get("a"), registry.get("b")) == ("A", None)
