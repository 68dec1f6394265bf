"""A business's profile: creating one, editing it, its logo and the staff's verified flag."""

import uuid
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from accounts.images import reencode_picture
from accounts.locks import users_for_update
from accounts.models import User
from accounts.services import audit_record

from ..locks import lock_business
from ..models import Business, MemberRole, Membership
from .subscriptions import subscription_start

PROFILE_FIELDS = ("name", "description", "phone", "city")
LOGO_MAX_SIDE = 512


def _slug(name: str, *, unique: bool) -> str:
    base = slugify(name, allow_unicode=True)[:120] or "business"
    if unique and not Business.objects.filter(slug=base).exists():
        return base
    return f"{base}-{uuid.uuid4().hex[:6]}"


def business_create(*, owner: User, data: dict[str, Any]) -> Business:
    """A new business with `owner` as its admin. Its subscription starts as a 14-day trial —
    the owner's one trial; a later business of theirs starts `past_due` until paid.

    The owner's row is locked first, so two businesses created at once by one user cannot
    both take their trial (a unique constraint backs this).
    """
    with transaction.atomic():
        users_for_update().filter(pk=owner.pk).first()
        business = Business(
            created_by=owner, **{field: data[field] for field in PROFILE_FIELDS if field in data}
        )
        subscription_start(business=business, owner=owner)
        for attempt in range(5):
            business.slug = _slug(business.name, unique=attempt == 0)
            try:
                with transaction.atomic():
                    business.save()
                break
            except IntegrityError:
                # Another business took the slug meanwhile: the next try adds a random suffix.
                if attempt == 4:
                    raise
        Membership.objects.create(business=business, user=owner, role=MemberRole.ADMIN)
        audit_record(
            actor=owner,
            action="business.created",
            target=business,
            data={"subscription_status": business.subscription_status},
        )
    return business


def business_update(*, business: Business, actor: User, data: dict[str, Any]) -> Business:
    changed = [field for field in PROFILE_FIELDS if field in data]
    with transaction.atomic():
        business = lock_business(business.pk)
        for field in changed:
            setattr(business, field, data[field])
        if changed:
            business.save(update_fields=(*changed, "updated_at"))
            audit_record(
                actor=actor, action="business.updated", target=business, data={"fields": changed}
            )
    return business


def business_set_logo(*, business: Business, actor: User, upload: UploadedFile) -> Business:
    """Store a new logo: the real type sniffed from the bytes, re-encoded (no metadata)."""
    encoded = reencode_picture(
        upload, max_bytes=settings.BUSINESS_LOGO_MAX_BYTES, max_side=LOGO_MAX_SIDE
    )
    with transaction.atomic():
        business = lock_business(business.pk)
        previous = business.logo.name
        business.logo.save(f"{uuid.uuid4().hex}.webp", ContentFile(encoded), save=False)
        business.save(update_fields=("logo", "updated_at"))
        audit_record(actor=actor, action="business.logo_changed", target=business)
        if previous:
            storage = business.logo.storage
            transaction.on_commit(lambda: storage.delete(previous))
    return business


def business_set_verified(*, business: Business, verified: bool, actor: User) -> bool:
    """Staff mark a business verified (or take the mark away). False when nothing changed."""
    with transaction.atomic():
        business = lock_business(business.pk)
        if business.verified == verified:
            return False
        business.verified = verified
        business.save(update_fields=("verified", "updated_at"))
        audit_record(
            actor=actor,
            action="business.verified" if verified else "business.unverified",
            target=business,
        )
    return True
