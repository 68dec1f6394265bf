"""Inserting a row that a unique constraint may already hold, without an error either way."""

from django.db import IntegrityError, models, transaction


def insert_unless_present(obj: models.Model) -> bool:
    """Insert `obj` unless a unique constraint already holds a row like it; True if this call
    inserted it.

    The insert runs in a savepoint: against a concurrent insert of the same key the database
    waits for that one to commit, and the loser's IntegrityError is caught here. Nothing is
    read back: `get_or_create`, after losing, reads the winner's row and fails with a 500 when
    a concurrent delete (an unfavorite, an unblock) has removed it meanwhile.
    """
    try:
        with transaction.atomic():
            obj.save(force_insert=True)
    except IntegrityError:
        return False
    return True
