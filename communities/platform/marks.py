"""Marks other apps put on the rows of a list they do not own (the staff's record queue marks a record the
resident confirmed). An app registers ``add_mark("service_record_queue", key, annotate=…, label=…)``:
``annotate(queryset)`` adds what it needs as an annotation (a subquery: no query per row), ``label(row)`` says
the mark's text for a row, or None. The owner of the list calls ``annotate`` on its queryset and ``labels`` on
each row."""

from collections.abc import Callable
from dataclasses import dataclass

from .registry import PlacedRegistry


@dataclass(frozen=True)
class Mark:
    key: str
    annotate: Callable
    label: Callable


_marks = PlacedRegistry("mark")


def add_mark(place: str, key: str, *, annotate: Callable, label: Callable) -> None:
    # In the order the apps added them, as before.
    _marks[place].add(key, Mark(key=key, annotate=annotate, label=label), order=len(_marks[place]))


def annotate(place: str, queryset):
    for mark in _marks[place].items():
        queryset = mark.annotate(queryset)
    return queryset


def labels(place: str, row) -> list:
    return [text for mark in _marks[place].items() if (text := mark.label(row))]
