"""Running a hot `values()` query without building and compiling it on every request.

Building a queryset with a dozen joined columns and compiling it to SQL costs the ORM more
CPU than PostgreSQL spends answering it. For a query whose shape repeats (the feed: the same
joins and conditions, only the values change), `prepared_rows` compiles it once per shape with
stand-in values and afterwards only binds the real values to the same SQL — the queryset stays
the one place the query is written.

A query is written as `build(values)`, a function that takes its variable parts from `values`
(`values.datetime("pin")`, `values.uuid("user")`, `values.text("category")`) and returns a
`values()` queryset.
"""

import uuid
from collections.abc import Callable, Hashable, Mapping
from datetime import UTC, datetime, timedelta
from threading import Lock
from typing import Any, Protocol, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet

Row = dict[str, Any]
_M = TypeVar("_M", bound=Model)


class Values(Protocol):
    def datetime(self, name: str) -> datetime: ...
    def uuid(self, name: str) -> uuid.UUID: ...
    def text(self, name: str) -> str: ...


Build = Callable[[Values], QuerySet[Any, Row]]


class Bound:
    """The real values."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = values

    def datetime(self, name: str) -> datetime:
        return self._values[name]

    def uuid(self, name: str) -> uuid.UUID:
        return self._values[name]

    def text(self, name: str) -> str:
        return self._values[name]


_EPOCH = datetime(1900, 1, 1, tzinfo=UTC)


class _Slots:
    """Stand-in values, distinct from each other and from anything a caller would pass."""

    def __init__(self) -> None:
        self.names: dict[Any, str] = {}

    def _slot(self, name: str, value: Any) -> Any:
        self.names[value] = name
        return value

    def datetime(self, name: str) -> datetime:
        return self._slot(name, _EPOCH + timedelta(microseconds=len(self.names) + 1))

    def uuid(self, name: str) -> uuid.UUID:
        return self._slot(name, uuid.UUID(int=len(self.names) + 1))

    def text(self, name: str) -> str:
        return self._slot(name, f"\x00{name}\x00")

    def name_of(self, param: Any) -> str | None:
        if not isinstance(param, datetime | uuid.UUID | str):
            return None  # 1 == True == Decimal(1): only a value of a slot's own types
        return self.names.get(param)


class _Prepared:
    def __init__(self, build: Build) -> None:
        slots = _Slots()
        queryset = build(slots)
        compiler = queryset.query.get_compiler(using=queryset.db)
        self.sql, params = compiler.as_sql()
        self.using = queryset.db
        query = queryset.query
        # As ValuesIterable names a row's columns.
        self.names = (
            list(query.selected)
            if query.selected
            else [*query.extra_select, *query.values_select, *query.annotation_select]
        )
        # Each parameter: a slot's name to bind, or the constant it was compiled with.
        self.params = [(slots.name_of(p), p) for p in params]
        missing = set(slots.names.values()) - {name for name, _ in self.params}
        columns = [expression for expression, _sql, _alias in compiler.select]
        # Only when the driver's values are already what the ORM would give (PostgreSQL's
        # are; SQLite's need converting) and every stand-in reached the SQL as a parameter.
        self.usable = not compiler.get_converters(columns) and not missing

    def rows(self, values: Mapping[str, Any]) -> list[Row]:
        params = [p if name is None else values[name] for name, p in self.params]
        with connections[self.using].cursor() as cursor:
            cursor.execute(self.sql, params)
            return [dict(zip(self.names, row, strict=True)) for row in cursor.fetchall()]


_prepared: dict[Hashable, _Prepared] = {}
_lock = Lock()


def prepared_rows(key: Hashable, build: Build, values: Mapping[str, Any]) -> list[Row]:
    """`list(build(values))`, compiling `build`'s SQL only the first time for `key`.

    `key` names the query's shape: everything `build` decides on besides the slot values
    (which optional conditions it adds, its LIMIT).
    """
    prepared = _prepared.get(key)
    if prepared is None:
        prepared = _Prepared(build)
        with _lock:
            if len(_prepared) > 1000:  # shapes are few; this only bounds a mistake
                _prepared.clear()
            _prepared[key] = prepared
    if not prepared.usable:
        return list(build(Bound(values)))
    return prepared.rows(values)


def columns_of(model: type[Model], *, without: tuple[str, ...] = ()) -> list[str]:
    """The model's columns (attnames, `author_id` for `author`), in the model's order."""
    return [f.attname for f in model._meta.concrete_fields if f.name not in without]


def instance_of(model: type[_M], row: Row, columns: list[str], prefix: str = "") -> _M:
    """A model instance from a prepared row, as the ORM would have loaded it: `columns` (from
    `columns_of`) read from the row under `prefix` (`listing__` for a joined listing); the
    model's other fields are deferred."""
    return model.from_db(DEFAULT_DB_ALIAS, columns, [row[prefix + name] for name in columns])
