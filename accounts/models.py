import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .fields import PhoneField
from .phone import normalize_phone


class Role(models.TextChoices):
    USER = "user", _("User")
    MODERATOR = "moderator", _("Moderator")
    ADMIN = "admin", _("Admin")


class Language(models.TextChoices):
    RU = "ru", "Русский"
    KY = "ky", "Кыргызча"
    EN = "en", "English"


class ConsentKind(models.TextChoices):
    OFFER_AGREEMENT = "offer_agreement", _("Offer agreement")
    PERSONAL_DATA_PROCESSING = "personal_data_processing", _("Personal data processing")
    MARKETING_COMMUNICATIONS = "marketing_communications", _("Marketing communications")


MODERATORS_GROUP = "Moderators"


def avatar_upload_to(instance: "User", filename: str) -> str:
    # Unguessable and free of the uploader's file name; always re-encoded to WebP.
    return f"avatars/{uuid.uuid4().hex}.webp"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> "User":
        # The admin login form sends the phone as typed; match it in its stored E.164 form.
        try:
            phone = normalize_phone(username)
        except ValidationError:
            raise self.model.DoesNotExist from None
        return self.get(phone=phone)

    def create_user(self, phone: str, password: str | None = None, **extra: Any) -> "User":
        user = self.model(phone=normalize_phone(phone), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, phone: str, password: str | None = None, **extra: Any) -> "User":
        from .services import user_set_role

        user = self.create_user(phone, password, **extra)
        return user_set_role(user=user, role=Role.ADMIN, actor=None)


class User(AbstractBaseUser, PermissionsMixin):
    """A person, identified by a Kyrgyz mobile number; staff alone have passwords.

    `role` is the source of truth; `is_staff`, `is_superuser` and the Moderators group follow
    it through `accounts.services.user_set_role`, and a check constraint keeps them in step.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    phone = PhoneField(_("phone"), unique=True)
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.RU
    )
    avatar = models.FileField(_("avatar"), upload_to=avatar_upload_to, blank=True)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.USER)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("staff"), default=False, editable=False)
    token_version = models.PositiveIntegerField(
        default=0,
        editable=False,
        help_text=_("Bumped to revoke every token the user holds."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True, editable=False)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "phone"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ("-created_at",)
        constraints = (
            models.CheckConstraint(
                name="user_role_flags_in_step",
                condition=(
                    Q(role="user", is_staff=False, is_superuser=False)
                    | Q(role="moderator", is_staff=True, is_superuser=False)
                    | Q(role="admin", is_staff=True, is_superuser=True)
                ),
            ),
        )

    def __str__(self) -> str:
        return self.display_name or self.phone

    @property
    def is_moderator(self) -> bool:
        return self.role in (Role.MODERATOR, Role.ADMIN)


class AuditEntry(models.Model):
    """One action that matters, written once and never changed.

    On PostgreSQL a trigger refuses UPDATE and DELETE, so not even a bug or a shell session
    can rewrite history.
    """

    id = models.BigAutoField(primary_key=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty for the system (tasks, webhooks)."),
    )
    action = models.CharField(_("action"), max_length=64, db_index=True)
    target_type = models.CharField(_("target type"), max_length=64, blank=True)
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    # DjangoJSONEncoder: callers may record ids, amounts and times as they are.
    data = models.JSONField(_("data"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ("-created_at", "-id")
        indexes = (models.Index(fields=("target_type", "target_id"), name="audit_target_idx"),)

    def __str__(self) -> str:
        return f"{self.action} {self.target_type}:{self.target_id}"


class CodePurpose(models.TextChoices):
    LOGIN = "login", _("Login")
    PHONE_CHANGE = "phone_change", _("Phone change")


class PhoneCode(models.Model):
    """A one-time code sent by SMS, stored only as an HMAC bound to the phone and purpose."""

    id = models.BigAutoField(primary_key=True)
    phone = models.CharField(max_length=16, db_index=True)
    purpose = models.CharField(max_length=16, choices=CodePurpose.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("For a phone change: the user who asked for it."),
    )
    code_hash = models.CharField(max_length=64)
    # A login code sent to an app install that logged in to the account before: a stream of
    # its own, which strangers' requests and wrong guesses cannot expire or burn.
    device_hash = models.CharField(max_length=64, blank=True, default="")
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = (
            models.Index(fields=("phone", "purpose", "-created_at"), name="phonecode_lookup_idx"),
        )

    def __str__(self) -> str:
        return f"{self.purpose} code for {self.phone}"


class Consent(models.Model):
    """One decision of a user about one legal document: history, never overwritten."""

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consents"
    )
    kind = models.CharField(_("document"), max_length=32, choices=ConsentKind.choices)
    version = models.CharField(_("version"), max_length=32)
    accepted = models.BooleanField(_("accepted"))
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("consent decision")
        verbose_name_plural = _("consent history")
        ordering = ("-created_at", "-id")
        indexes = (models.Index(fields=("user", "kind", "-created_at"), name="consent_latest_idx"),)

    def __str__(self) -> str:
        return f"{self.kind} {self.version}: {'accepted' if self.accepted else 'refused'}"


class DevicePlatform(models.TextChoices):
    IOS = "ios", "iOS"
    ANDROID = "android", "Android"


class Device(models.Model):
    """An Expo push token; a token belongs to whoever registered it last."""

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="devices"
    )
    expo_push_token = models.CharField(max_length=200, unique=True)
    platform = models.CharField(max_length=8, choices=DevicePlatform.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.platform} device of {self.user_id}"


class LoginSession(models.Model):
    """One login: every refresh token rotated from it, and their access tokens, carry its id.

    Ending it (reuse of a rotated refresh token) stops all of them at once; the user's other
    logins go on. `device_hash` names the app install that logged in, if it said, so that
    install can still ask for codes when strangers have used up the phone's limit.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="login_sessions"
    )
    device_hash = models.CharField(max_length=64, blank=True)
    # For a login from before sessions existed: the refresh token that moved it into this one.
    legacy_jti = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    refreshed_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = (
            models.Index(
                fields=("user", "device_hash"),
                condition=~Q(device_hash=""),
                name="loginsession_device_idx",
            ),
        )
        constraints = (
            models.UniqueConstraint(
                fields=("legacy_jti",),
                condition=~Q(legacy_jti=""),
                name="loginsession_one_per_legacy_token",
            ),
        )

    def __str__(self) -> str:
        return f"login {self.pk} of {self.user_id}"


class RateCounter(models.Model):
    """Fixed-window counters for security limits when Redis is not configured (`make run`)."""

    key = models.CharField(max_length=200, primary_key=True)
    count = models.PositiveIntegerField(default=0)
    window_ends_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"
