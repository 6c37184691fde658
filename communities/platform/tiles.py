"""Figure tiles other apps add to a dashboard (as navigation adds tabs): ``add_tile("staff_dashboard", "teams",
_("Teams"), _("teams"), value=count_teams)``, where ``value(communities=…, start=…, end=…)`` returns the figure for
the communities in the user's scope and the period. The dashboard draws them after its own tiles, in order."""

from collections.abc import Callable
from dataclasses import dataclass

from .registry import PlacedRegistry


@dataclass(frozen=True)
class Tile:
    key: str
    label: object  # a lazy translation
    unit: object
    value: Callable
    order: int = 100


_tiles = PlacedRegistry("tile")


def add_tile(place: str, key: str, label, unit, *, value: Callable, order: int = 100) -> None:
    _tiles[place].add(key, Tile(key=key, label=label, unit=unit, value=value, order=order), order=order)


def figures_for(place: str, **arguments) -> list[dict]:
    """The registered tiles of `place` with their values: [{"key", "label", "unit", "value"}]."""
    return [
        {"key": tile.key, "label": tile.label, "unit": tile.unit, "value": tile.value(**arguments)}
        for tile in _tiles[place].items()
    ]
