"""Row locks on chat's tables; every `select_for_update` of this app is here, and the send's
statement that locks the thread in SQL.

A thread's row serialises what is sent in it (the next `seq`, a repeated `client_id`, a block
arriving meanwhile). Nothing else is locked with it: the project's order (docs/architecture.md,
"Row locks") has no other rows in a send's transaction.
"""

from typing import Any

from django.db import connection
from django.db.models import QuerySet

from .models import Thread


def threads_for_update() -> QuerySet[Thread]:
    return Thread.objects.select_for_update()


# The send as one statement (PostgreSQL): the thread's row locked (`FOR UPDATE` re-reads
# `last_seq` once the lock is had), the message numbered after it unless the other side has
# blocked this one, or the sender stored this `client_id` already (the unique index sees a
# repeat committed meanwhile, which the statement's snapshot would not); the thread and the
# sender's read position follow from what was inserted, so a refused send moves nothing.
SEND_NUMBERED = """
WITH thread AS (
    SELECT id, last_seq FROM chat_thread WHERE id = %(thread)s FOR UPDATE
), blocked AS (
    SELECT EXISTS (
        SELECT 1 FROM chat_block WHERE thread_id = %(thread)s AND side = %(other_side)s
    ) AS yes
), message AS (
    INSERT INTO chat_message (id, thread_id, seq, sender_id, body, client_id, created_at)
    SELECT %(id)s, thread.id, thread.last_seq + 1, %(sender)s, %(body)s, %(client_id)s, %(now)s
    FROM thread, blocked
    WHERE NOT blocked.yes
    ON CONFLICT (thread_id, sender_id, client_id) DO NOTHING
    RETURNING seq
), moved AS (
    UPDATE chat_thread
    SET last_seq = message.seq, last_message_at = %(now)s, last_activity_at = %(now)s
    FROM message
    WHERE chat_thread.id = %(thread)s
), read AS (
    INSERT INTO chat_readstate (thread_id, user_id, last_read_seq, updated_at)
    SELECT %(thread)s, %(sender)s, message.seq, %(now)s FROM message
    ON CONFLICT (thread_id, user_id)
    DO UPDATE SET last_read_seq = EXCLUDED.last_read_seq, updated_at = EXCLUDED.updated_at
)
SELECT (SELECT seq FROM message), (SELECT yes FROM blocked)
"""


def send_numbered(values: dict[str, Any]) -> tuple[int | None, bool]:
    """Runs SEND_NUMBERED; the new message's `seq` (None when nothing was stored) and whether
    the other side has blocked the sender's."""
    with connection.cursor() as cursor:
        cursor.execute(SEND_NUMBERED, values)
        seq, blocked = cursor.fetchone()
    return seq, bool(blocked)
