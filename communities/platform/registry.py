"""One shape for the small registries the platform and its apps keep (tiles, marks, sources of figures): items
added by key from ``AppConfig.ready()``, a key added twice refused at start-up, read back in order.

    tiles = Registry("dashboard tile")
    tiles.add("teams", Tile(...), order=40)
    tiles.items()  # ordered by (order, key)

Keyed by place where one registry serves several pages: ``PlacedRegistry("tile")["staff_dashboard"]``."""

from django.core.exceptions import ImproperlyConfigured


class Registry:
    def __init__(self, kind: str):
        self.kind = kind
        self._items: dict[str, tuple[int, object]] = {}
        self._ordered: list | None = None

    def add(self, key: str, item, *, order: int = 100) -> None:
        if key in self._items:
            raise ImproperlyConfigured(f"Two {self.kind}s are named {key!r}.")
        self._items[key] = (order, item)
        self._ordered = None

    def items(self) -> list:
        """The items in (order, key) order; sorted once after the last addition (they are read on every page)."""
        if self._ordered is None:
            ranked = sorted(self._items.items(), key=lambda pair: (pair[1][0], pair[0]))
            self._ordered = [item for _key, (_order, item) in ranked]
        return self._ordered

    def get(self, key: str):
        """The item added under `key`, or None."""
        found = self._items.get(key)
        return found[1] if found is not None else None

    def __contains__(self, key: str) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)

    def copy(self) -> "Registry":
        """A registry holding the same items, to add to without changing this one (tests)."""
        twin = Registry(self.kind)
        twin._items = dict(self._items)
        return twin


class PlacedRegistry:
    """One Registry per place (a page, a list), made on first use."""

    def __init__(self, kind: str):
        self.kind = kind
        self._places: dict[str, Registry] = {}

    def __getitem__(self, place: str) -> Registry:
        if place not in self._places:
            self._places[place] = Registry(f"{self.kind} of {place}")
        return self._places[place]
