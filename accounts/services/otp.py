"""One-time codes sent by SMS: issue, rate-limit, and check them."""

import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from core.tasks import enqueue_on_commit

from ..exceptions import CodeExpired, InvalidCode, InvalidPhone, TooManyAttempts
from ..locks import phone_codes_for_update
from ..models import CodePurpose, LoginSession, PhoneCode, User
from ..phone import normalize_phone
from ..ratelimit import Limit, hit


@dataclass(frozen=True)
class CodeSent:
    expires_in: int
    resend_in: int


def phone_from_input(raw: object) -> str:
    try:
        return normalize_phone(raw)
    except ValidationError:
        raise InvalidPhone from None


def _code_hash(*, phone: str, purpose: str, code: str) -> str:
    # Bound to phone and purpose: a code for one number or flow is worthless for another.
    value = f"{purpose}:{phone}:{code}"
    return salted_hmac("accounts.PhoneCode", value, algorithm="sha256").hexdigest()


def otp_sms_text(code: str) -> str:
    """The SMS, in the active language; short enough for one segment (70 Cyrillic chars)."""
    return _("360 Marketplace code: %(code)s. Do not share it with anyone.") % {"code": code}


def device_hash(device_id: str) -> str:
    """How an app install's `device_id` is stored: it lets its holder ask for login codes past
    the phone's limit, so it is kept like a credential."""
    return salted_hmac("accounts.LoginSession.device", device_id, algorithm="sha256").hexdigest()


def _known_device(*, phone: str, purpose: str, device_id: str | None) -> str:
    """The hashed `device_id` when that install has logged in to the phone's account before
    (login codes only), else "": the stream of codes everyone else shares."""
    if purpose != CodePurpose.LOGIN or not device_id:
        return ""
    hashed = device_hash(device_id)
    known = LoginSession.objects.filter(user__phone=phone, device_hash=hashed).exists()
    return hashed if known else ""


def otp_send(
    *,
    phone: str,
    purpose: str,
    ip: str,
    user: User | None = None,
    device_id: str | None = None,
) -> CodeSent:
    """Issue a fresh code for `phone` and send it by SMS after the commit.

    The limits are security controls (fail closed), counted in this order: a few codes per IP
    an hour; then one per phone per resend interval and a few per phone an hour; then a global
    ceiling on SMS per minute. A request refused by the IP's limit spends nothing of the
    phone's. A login request from an install that has logged in to the phone's account before
    (`device_id`) counts against that install's own limits instead of the phone's, so strangers
    asking for the phone's codes cannot lock its owner out.
    """
    device = _known_device(phone=phone, purpose=purpose, device_id=device_id)
    if device:
        scope = f"otp:device:{phone}:{device[:32]}"
        per_phone = (
            Limit(f"{scope}:resend", 1, settings.OTP_RESEND_SECONDS),
            Limit(scope, settings.OTP_PER_KNOWN_DEVICE_PER_HOUR, 3600),
        )
    else:
        per_phone = (
            Limit(f"otp:resend:{phone}", 1, settings.OTP_RESEND_SECONDS),
            Limit(f"otp:phone:{phone}", settings.OTP_PER_PHONE_PER_HOUR, 3600),
        )
    hit(
        Limit(f"otp:ip:{ip}", settings.OTP_PER_IP_PER_HOUR, 3600),
        *per_phone,
        Limit("otp:global", settings.SMS_GLOBAL_PER_MINUTE, 60),
    )
    code = f"{secrets.randbelow(10**6):06d}"
    now = timezone.now()
    with transaction.atomic():
        # A new code supersedes the ones before it — the same requester's only: another user
        # asking to move to this number must not cancel a pending phone change, nor a stranger
        # the code of an install that logged in before.
        PhoneCode.objects.filter(
            phone=phone,
            purpose=purpose,
            user=user,
            device_hash=device,
            used_at__isnull=True,
            expires_at__gt=now,
        ).update(expires_at=now)
        PhoneCode.objects.create(
            phone=phone,
            purpose=purpose,
            user=user,
            device_hash=device,
            code_hash=_code_hash(phone=phone, purpose=purpose, code=code),
            expires_at=now + timedelta(seconds=settings.OTP_TTL_SECONDS),
        )
        enqueue_on_commit("accounts.send_sms", phone=phone, text=otp_sms_text(code))
    return CodeSent(expires_in=settings.OTP_TTL_SECONDS, resend_in=settings.OTP_RESEND_SECONDS)


def otp_check(
    *, phone: str, purpose: str, code: str, user: User | None = None, device_id: str | None = None
) -> PhoneCode | Exception:
    """Check `code` against the latest code for `phone` (of the install's own stream when
    `device_id` is known, see `otp_send`), under the code's row lock.

    Must run inside a transaction. Returns the code row (not yet spent: the caller spends it
    with `otp_spend` once its own checks pass) or the exception to raise *after* the
    transaction commits — a wrong try must be counted even though the request fails.
    """
    device = _known_device(phone=phone, purpose=purpose, device_id=device_id)
    lookup = phone_codes_for_update().filter(phone=phone, purpose=purpose, device_hash=device)
    if user is not None:
        lookup = lookup.filter(user=user)
    latest = lookup.order_by("-created_at", "-id").first()
    if latest is None or latest.used_at is not None:
        return InvalidCode(attempts_left=0)
    if latest.attempts >= settings.OTP_MAX_ATTEMPTS:
        return TooManyAttempts()
    if latest.expires_at <= timezone.now():
        return CodeExpired()
    expected = _code_hash(phone=phone, purpose=purpose, code=str(code))
    if not hmac.compare_digest(expected, latest.code_hash):
        latest.attempts += 1
        latest.save(update_fields=("attempts",))
        return InvalidCode(attempts_left=max(0, settings.OTP_MAX_ATTEMPTS - latest.attempts))
    return latest


def otp_spend(code: PhoneCode) -> None:
    code.used_at = timezone.now()
    code.save(update_fields=("used_at",))
