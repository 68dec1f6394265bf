"""The Django admin as the moderators' console: the review queue and the moderation log.

Nothing here writes a listing: every decision goes through `moderation.services`, exactly as
the API's do, and every page reads through `moderation.selectors`.

Django autodiscovers `moderation.admin`; importing the modules registers their admins.
"""

from . import decisions, events, queue

__all__ = ["decisions", "events", "queue"]
