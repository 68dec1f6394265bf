"""Notifying a user: the one way every app sends a push notification."""

from typing import TYPE_CHECKING, Any

from django.utils import translation

from core.tasks import enqueue_on_commit

from .models import Device, User

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise


def notify_user(
    *,
    user: User,
    title: "str | StrPromise",
    body: "str | StrPromise",
    data: dict[str, Any] | None = None,
    params: dict[str, Any] | None = None,
) -> None:
    """Push `title` and `body` to the user's devices once the current transaction commits.

    Pass them as lazy translations (`gettext_lazy`) with `%(name)s` placeholders: they are
    rendered in the user's language, then filled from `params`. `data` reaches the app
    untranslated (deep-link targets, ids).
    """
    # One cheap query spares the broker and a worker for the many users with no device; a
    # device registered between this check and the commit misses one notification.
    if not user.is_active or not Device.objects.filter(user=user).exists():
        return
    with translation.override(user.language):
        title_text, body_text = str(title), str(body)
    if params is not None:
        title_text, body_text = title_text % params, body_text % params
    enqueue_on_commit(
        "accounts.send_push",
        user_id=str(user.pk),
        title=title_text,
        body=body_text,
        data=data or {},
    )
