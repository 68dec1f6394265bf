"""Inserting a row that a unique constraint may already hold, without an error either way."""

from collections.abc import Sequence
from typing import Any

from django.db import connections, models, router


def insert_unless_present(obj: models.Model, *, unique_fields: Sequence[str]) -> bool:
    """Insert `obj` unless a row with the same `unique_fields` exists; True if this call
    inserted it (and `obj` is then saved, with its primary key).

    One `INSERT ... ON CONFLICT DO NOTHING RETURNING` statement (PostgreSQL and SQLite): the
    database decides, waiting for a concurrent insert of the same key to commit or roll back.
    `get_or_create`, after losing the insert, reads the winner's row and fails when that row
    was deleted in between; `bulk_create(ignore_conflicts=True)` cannot tell whether it
    inserted.
    """
    meta = obj._meta
    using = router.db_for_write(type(obj), instance=obj)
    connection = connections[using]
    quote = connection.ops.quote_name
    # Every column but a primary key left for the database to number.
    fields = [
        field
        for field in meta.concrete_fields
        if not field.generated and not (field.primary_key and obj.pk is None)
    ]
    values = [field.get_db_prep_save(field.pre_save(obj, add=True), connection) for field in fields]
    columns = ", ".join(quote(_column(field)) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    conflict = ", ".join(quote(_column(meta.get_field(name))) for name in unique_fields)
    # Only quoted names from the model are formatted in; the values are parameters.
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({placeholders}) "  # noqa: S608
        f"ON CONFLICT ({conflict}) DO NOTHING RETURNING {quote(_column(meta.pk))}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    if row is None:
        return False
    obj.pk = row[0]
    obj._state.adding = False
    obj._state.db = using
    return True


def _column(field: Any) -> str:
    if not isinstance(field, models.Field) or not field.column:
        raise TypeError(f"{field!r} is not a column")
    return field.column
