"""Hot lookups compiled to SQL once per process.

Django compiles a queryset to SQL every time it is evaluated. For the small lookups every page makes (the user's
staff assignments, the member behind the user, a member's reports) compiling costs several times what the database
takes to answer: a member's report history took 4.0 M instructions, 2.7 M of them compiling and 0.3 M running the SQL
and reading its rows (callgrind, docs/PERFORMANCE.md). A `prepared` lookup is a function of plain values (ids,
text, dates) that builds a queryset; it is compiled once per database alias, and each call runs that SQL with its
own values through the queryset's own iterable, so the rows are what the queryset gives: model instances with their
select_related objects and converters, or values_list tuples. The values: ints, text, dates and aware moments.

The function must depend on its arguments only. At the first call it is compiled twice, with two sets of stand-in
values: the SQL must be the same and the parameters must differ exactly where the arguments go. Anything else — a
value read from the clock, an argument that changes the SQL's shape (None, a boolean, a list for __in, a slice) —
raises ImproperlyConfigured instead of being frozen into every later call. A call returns a list, never a queryset:
chaining a filter onto compiled SQL would silently drop it.
"""

import copy
import datetime
import functools

from django.core.exceptions import ImproperlyConfigured
from django.db import connections, router


def _moment(year: int, index: int) -> datetime.datetime:
    return datetime.datetime(year, 2, 3, 4, 5, 6 + index, tzinfo=datetime.UTC)


# Stand-in values of each kind, far from any real one, in two sets (a, b). Integers stay inside a 32-bit column.
_STAND_INS = {
    int: (lambda index: -1_000_000_001 - index, lambda index: -1_500_000_001 - index),
    str: (lambda index: f"prepared:a:{index}:7f3c", lambda index: f"prepared:b:{index}:7f3c"),
    datetime.date: (lambda index: datetime.date(1901, 2, 3 + index), lambda index: datetime.date(1902, 4, 5 + index)),
    datetime.datetime: (lambda index: _moment(1901, index), lambda index: _moment(1902, index)),
}

# How a value reaches the parameters: as it is, or as the backend adapts a date or a moment (SQLite: as text).
_FORMS = {
    "value": lambda ops, value: value,
    "date": lambda ops, value: ops.adapt_datefield_value(value),
    "moment": lambda ops, value: ops.adapt_datetimefield_value(value),
}
_KIND_FORMS = {
    int: ("value",),
    str: ("value",),
    datetime.date: ("value", "date"),
    datetime.datetime: ("value", "moment"),
}


def _kind(name, value):
    kind = type(value)
    if kind not in _STAND_INS:  # bool is not int here: True and False would change the SQL's shape
        raise ImproperlyConfigured(
            f"prepared lookups take ints, text, dates and moments; {name}={value!r} is {kind.__name__}"
        )
    if kind is datetime.datetime and value.tzinfo is None:
        raise ImproperlyConfigured(f"prepared lookups take aware moments; {name}={value!r} is naive")
    return kind


class _Query:
    """The compiled query as the iterable sees it: its compiler is the bound one."""

    def __init__(self, query, compiler):
        self._query, self._compiler = query, compiler

    def get_compiler(self, using=None, connection=None, elide_empty=True):
        return self._compiler

    def __getattr__(self, name):
        return getattr(self._query, name)


class _QuerySet:
    """The queryset as its iterable sees it, with no related objects known in advance (its arguments are values)."""

    _known_related_objects: dict = {}

    def __init__(self, queryset, alias, compiler):
        self._queryset, self.db, self.query = queryset, alias, _Query(queryset.query, compiler)

    def __getattr__(self, name):
        return getattr(self._queryset, name)


class _Compiled:
    def __init__(self, queryset, alias, compiler, sql, params, slots):
        self.queryset, self.alias, self.compiler = queryset, alias, compiler
        self.sql, self.params, self.slots = sql, params, slots

    def rows(self, values) -> list:
        params = list(self.params)
        ops = connections[self.alias].ops
        for name, positions, form in self.slots:
            value = _FORMS[form](ops, values[name])
            for position in positions:
                params[position] = value
        compiler = copy.copy(self.compiler)  # the select, klass_info and converters' state, reused as it is
        compiler.connection = connections[self.alias]  # this thread's connection
        compiler.as_sql = lambda *args, **kwargs: (self.sql, tuple(params))
        return list(self.queryset._iterable_class(_QuerySet(self.queryset, self.alias, compiler)))


def _compile(build, kinds, which):
    stand_ins = {name: _STAND_INS[kind][which](index) for index, (name, kind) in enumerate(sorted(kinds.items()))}
    queryset = build(**stand_ins)
    if queryset._prefetch_related_lookups:
        raise ImproperlyConfigured(f"{build.__qualname__}: a prepared lookup cannot prefetch_related")
    alias = router.db_for_read(queryset.model)
    compiler = queryset.query.get_compiler(using=alias)
    sql, params = compiler.as_sql()
    return queryset, alias, compiler, sql, tuple(params), stand_ins


def _slots(build, kinds):
    queryset, alias, compiler, sql, params, stand_in_a = _compile(build, kinds, 0)
    *_, sql_b, params_b, stand_in_b = _compile(build, kinds, 1)
    problem = None
    if sql != sql_b or len(params) != len(params_b):
        problem = "its SQL changes with the values (an argument that changes the query's shape?)"
    slots, placed = [], set()
    ops = connections[alias].ops
    for name, kind in kinds.items():
        for form in _KIND_FORMS[kind]:
            a, b = _FORMS[form](ops, stand_in_a[name]), _FORMS[form](ops, stand_in_b[name])
            positions = [i for i, param in enumerate(params) if param == a and type(param) is type(a)]
            if positions and all(params_b[i] == b for i in positions):
                slots.append((name, tuple(positions), form))
                placed.update(positions)
                break
        else:
            problem = problem or f"the argument {name} does not reach the SQL as a parameter of its own"
    if problem is None and any(params[i] != params_b[i] for i in range(len(params)) if i not in placed):
        problem = "a parameter changed between two compilations (a value read from the clock?)"
    if problem:
        raise ImproperlyConfigured(f"{build.__qualname__} cannot be prepared: {problem}")
    return _Compiled(queryset, alias, compiler, sql, params, tuple(slots))


def prepared(build):
    """Decorate a function of keyword-only plain values that returns a queryset: calling it returns the queryset's
    rows as a list, the SQL compiled once per process and database alias (see the module's docstring)."""
    compiled: dict = {}

    @functools.wraps(build)
    def rows(**values) -> list:
        kinds = tuple(sorted((name, _kind(name, value)) for name, value in values.items()))
        entry = compiled.get(kinds)
        if entry is None:
            entry = compiled[kinds] = _slots(build, dict(kinds))
        return entry.rows(values)

    return rows
