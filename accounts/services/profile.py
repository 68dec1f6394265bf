"""The user's own profile: details, avatar, phone number, devices, and deleting it all."""

import uuid
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from .. import hooks
from ..exceptions import PhoneTaken
from ..images import reencode_picture
from ..locks import users_for_update
from ..models import CodePurpose, Device, LoginSession, User
from ..tokens import issue_tokens
from .audit import audit_record
from .otp import CodeSent, otp_check, otp_send, otp_spend
from .users import user_revoke_all_tokens

AVATAR_MAX_SIDE = 1024


@transaction.atomic
def profile_update(*, user: User, data: dict[str, Any]) -> User:
    changed = [field for field in ("display_name", "city", "language") if field in data]
    for field in changed:
        setattr(user, field, data[field])
    if changed:
        user.save(update_fields=(*changed, "updated_at"))
    return user


def _delete_file_after_commit(user: User, name: str | None) -> None:
    if name:
        storage = user.avatar.storage
        transaction.on_commit(lambda: storage.delete(name))


def avatar_set(*, user: User, upload: UploadedFile) -> User:
    """Store a new avatar: the real type sniffed from the bytes, re-encoded (no metadata)."""
    encoded = reencode_picture(
        upload, max_bytes=settings.AVATAR_MAX_BYTES, max_side=AVATAR_MAX_SIDE
    )
    with transaction.atomic():
        previous = user.avatar.name
        user.avatar.save(f"{uuid.uuid4().hex}.webp", ContentFile(encoded), save=False)
        user.save(update_fields=("avatar", "updated_at"))
        _delete_file_after_commit(user, previous)
    return user


def phone_change_request(*, user: User, phone: str, ip: str) -> CodeSent:
    """Send a code to the new number. Whether another account has it is told only to the
    holder of that number's code, at verification."""
    return otp_send(phone=phone, purpose=CodePurpose.PHONE_CHANGE, ip=ip, user=user)


def phone_change_verify(
    *, user: User, phone: str, code: str, session_id: Any = None
) -> tuple[User, dict[str, str]]:
    """Move the account to the verified new number; every other token of the user stops, and
    the caller's login goes on in a new session with new tokens (returned), still the same
    app install's (`session_id`: the caller's session, whose install it keeps)."""
    refusal: Exception | None = None
    with transaction.atomic():
        checked = otp_check(phone=phone, purpose=CodePurpose.PHONE_CHANGE, code=code, user=user)
        if isinstance(checked, Exception):
            refusal = checked
        else:
            if User.objects.filter(phone=phone).exclude(pk=user.pk).exists():
                raise PhoneTaken
            otp_spend(checked)
            previous = user.phone
            user.phone = phone
            try:
                with transaction.atomic():
                    user.save(update_fields=("phone", "updated_at"))
            except IntegrityError:
                raise PhoneTaken from None
            user_revoke_all_tokens(user=user)
            audit_record(
                actor=user,
                action="user.phone_changed",
                target=user,
                data={"from": previous[-3:], "to": phone[-3:]},
            )
            install = (
                LoginSession.objects.filter(pk=session_id, user=user)
                .values_list("device_hash", flat=True)
                .first()
                if session_id
                else None
            )
            session = LoginSession.objects.create(user=user, device_hash=install or "")
            tokens = issue_tokens(user, session)
    if refusal is not None:
        raise refusal
    return user, tokens


def device_register(*, user: User, token: str, platform: str) -> Device:
    """A push token belongs to whoever registered it last (a shared or resold phone)."""
    device, _created = Device.objects.update_or_create(
        expo_push_token=token, defaults={"user": user, "platform": platform}
    )
    return device


def device_unregister(*, user: User, token: str) -> None:
    Device.objects.filter(user=user, expo_push_token=token).delete()


def devices_forget(*, user_id: Any, tokens: list[str]) -> int:
    """Drop the user's devices whose push tokens the provider reports unregistered (Expo asks
    senders to stop using them until the device registers again); how many went."""
    deleted, _ = Device.objects.filter(user_id=user_id, expo_push_token__in=tokens).delete()
    return deleted


def _tombstone() -> str:
    # Unique, 16 characters like an E.164 number, and never a valid phone.
    return "~" + uuid.uuid4().hex[:15]


def account_delete(*, user: User) -> None:
    """Erase the person, keep what the law and the other party need.

    Name, avatar and phone go (the phone becomes a tombstone, free for a new account); the
    account is deactivated and every token revoked; higher apps archive personal listings.
    Payments, audit records and chat messages stay, shown as from a deleted user.
    """
    with transaction.atomic():
        user = users_for_update().get(pk=user.pk)
        # Inside the transaction: a guard may lock what it checks (the last admin of a
        # business) until the deletion commits.
        hooks.check_deletion_allowed(user)
        hooks.run_deletion_cleanups(user)
        avatar = user.avatar.name
        user.display_name = ""
        user.city = ""
        user.avatar = ""
        user.phone = _tombstone()
        user.is_active = False
        user.deleted_at = timezone.now()
        user.set_unusable_password()
        user.save()
        user.devices.all().delete()
        user_revoke_all_tokens(user=user)
        audit_record(actor=user, action="user.deleted", target=user)
        _delete_file_after_commit(user, avatar)
