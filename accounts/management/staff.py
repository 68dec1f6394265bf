"""What the staff commands share: finding users by phone, and one id on a run's audit entries."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from accounts.models import User
from accounts.phone import normalize_phone
from core.request_context import reset_request_id, set_request_id


def user_by_phone(raw: str) -> User:
    try:
        phone = normalize_phone(raw)
    except ValidationError as exc:
        raise CommandError(f"Invalid phone: {raw}") from exc
    user = User.objects.filter(phone=phone).first()
    if user is None:
        raise CommandError(f"No user has the phone {phone}.")
    return user


def staff_by_phone(raw: str) -> User:
    """The staff member running a command, recorded as the actor of what it does."""
    user = user_by_phone(raw)
    if not (user.is_active and user.is_staff):
        raise CommandError(f"{user.phone} is not an active staff member.")
    return user


@contextmanager
def command_run(name: str) -> Iterator[str]:
    """The audit entries written inside carry `<name>-<random>` as their request id, so one
    run's entries are found together (as a request's are)."""
    run_id = f"{name}-{uuid.uuid4().hex[:12]}"
    token = set_request_id(run_id)
    try:
        yield run_id
    finally:
        reset_request_id(token)
