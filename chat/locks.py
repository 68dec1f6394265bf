"""Row locks on chat's tables; every `select_for_update` of this app is here.

A thread's row serialises what is sent in it (the next `seq`, a repeated `client_id`, a block
arriving meanwhile). Nothing else is locked with it: the project's order (docs/architecture.md,
"Row locks") has no other rows in a send's transaction.
"""

from django.db.models import QuerySet

from .models import Thread


def threads_for_update() -> QuerySet[Thread]:
    return Thread.objects.select_for_update()
