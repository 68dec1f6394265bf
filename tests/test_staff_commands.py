"""The staff commands: each one's effect, its dry run changing nothing, and its audit entries."""

import json
import os
import stat
import time
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command, get_commands, load_command_class
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts.models import AuditEntry, Device, LoginSession, PhoneCode, Role, User
from accounts.services import user_set_role
from accounts.services.consents import RequestMeta, consent_record
from accounts.tests.factories import UserFactory
from accounts.tokens import issue_tokens
from business.models import Invitation
from business.tests.factories import BusinessFactory, MembershipFactory
from listings.models import Favorite, Listing, Report
from listings.tests.conftest import ESTATE, add_image, create
from promotions.models import Payment, PaymentStatus, Promotion
from promotions.tests.conftest import active_listing, bought, paid

pytestmark = pytest.mark.django_db

STAFF_COMMANDS = {
    "ban_user": True,
    "create_moderator": True,
    "expire_promotions": True,
    "export_user_data": False,
    "marketplace_stats": False,
    "purge_expired": True,
}


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def audit_count() -> int:
    return AuditEntry.objects.count()


@pytest.fixture
def staff() -> User:
    return user_set_role(user=UserFactory(), role=Role.MODERATOR, actor=None)


@pytest.fixture
def seller() -> User:
    return UserFactory(phone="+996555123456", display_name="Азамат")


def personal_listing(user: User, **changes: Any) -> Listing:
    response = create(user, **changes)
    assert response.status_code == 201, response.content
    return Listing.objects.get(pk=response.json()["id"])


@pytest.mark.parametrize(("name", "has_dry_run"), STAFF_COMMANDS.items())
def test_every_staff_command_explains_itself(name: str, has_dry_run: bool) -> None:
    command = load_command_class(get_commands()[name], name)

    text = command.create_parser("manage.py", name).format_help()

    assert command.help.split()[0] in text
    assert ("--dry-run" in text) is has_dry_run


# --- ban_user ----------------------------------------------------------------------------------


def test_ban_user_deactivates_revokes_archives_and_audits(seller: User, staff: User) -> None:
    draft, live = personal_listing(seller), active_listing(seller)
    dealer = BusinessFactory(name="Ош Авто", slug="osh-avto")
    MembershipFactory(business=dealer, user=seller, role="seller")
    business_listing = personal_listing(seller, business_id=str(dealer.pk))
    tokens_before = User.objects.get(pk=seller.pk).token_version

    out = run("ban_user", "--phone", "0555 123 456", "--reason", "fraud", "--by", staff.phone)

    seller.refresh_from_db()
    assert seller.is_active is False
    assert seller.token_version == tokens_before + 1
    statuses = dict(Listing.objects.values_list("pk", "status"))
    assert statuses[draft.pk] == statuses[live.pk] == "archived"
    assert statuses[business_listing.pk] == "draft"  # the business's, not theirs to lose
    ban = AuditEntry.objects.get(action="user.banned", target_id=str(seller.pk))
    assert (ban.actor, ban.data) == (staff, {"reason": "fraud"})
    archived = AuditEntry.objects.filter(action="listing.archived", request_id=ban.request_id)
    assert {entry.data["reason"] for entry in archived} == {"banned"}
    assert archived.count() == 2
    assert ban.request_id.startswith("ban_user-")
    assert f"Banned {seller.phone}" in out
    assert "user.banned accounts.user:" in out


def test_ban_user_dry_run_reports_the_same_and_changes_nothing(seller: User) -> None:
    listing = active_listing(seller)
    before = audit_count()

    out = run("ban_user", "--phone", seller.phone, "--reason", "spam", "--dry-run")

    seller.refresh_from_db()
    listing.refresh_from_db()
    assert seller.is_active is True
    assert listing.status == "active"
    assert audit_count() == before
    assert f"user.banned accounts.user:{seller.pk}" in out
    assert f"listing.archived listings.listing:{listing.pk}" in out
    assert "dry run: nothing changed" in out


def test_ban_user_leaves_a_banned_user_as_he_is(seller: User) -> None:
    run("ban_user", "--phone", seller.phone, "--reason", "spam")
    before = audit_count()

    out = run("ban_user", "--phone", seller.phone, "--reason", "again")

    assert "banned already" in out
    assert audit_count() == before


@pytest.mark.parametrize(
    ("phone", "message"), [("12345", "Invalid phone"), ("+996700999999", "No user has")]
)
def test_ban_user_names_a_phone_it_cannot_use(phone: str, message: str) -> None:
    with pytest.raises(CommandError, match=message):
        run("ban_user", "--phone", phone, "--reason", "x")


def test_only_staff_may_be_named_as_the_actor(seller: User) -> None:
    with pytest.raises(CommandError, match="not an active staff member"):
        run("ban_user", "--phone", seller.phone, "--reason", "x", "--by", UserFactory().phone)

    seller.refresh_from_db()
    assert seller.is_active


# --- export_user_data --------------------------------------------------------------------------


def test_export_user_data_gathers_every_apps_part_and_is_audited(seller: User, staff: User) -> None:
    consent_record(
        user=seller,
        kind="personal_data_processing",
        accepted=True,
        meta=RequestMeta("10.0.0.1", "360-app"),
    )
    Device.objects.create(user=seller, expo_push_token="ExponentPushToken[abc]", platform="ios")
    listing = active_listing(seller)
    media = add_image(listing.pk)
    estate = personal_listing(seller, payload=ESTATE)
    other = active_listing(UserFactory())
    Favorite.objects.create(user=seller, listing=other)
    Report.objects.create(listing=other, reporter=seller, reason="fraud", comment="prepayment")
    dealer = BusinessFactory(name="Ош Авто", slug="osh-avto")
    MembershipFactory(business=dealer, user=seller, role="admin")
    Invitation.objects.create(
        business=dealer,
        phone=seller.phone,
        role="seller",
        invited_by=staff,
        expires_at=timezone.now() + timedelta(days=7),
    )
    promotion = paid(seller, listing)

    out = run("export_user_data", "--phone", seller.phone, "--by", staff.phone)

    data = json.loads(out)
    assert data["user_id"] == str(seller.pk)
    assert data["account"]["profile"]["phone"] == seller.phone
    assert "password" not in json.dumps(data["account"])
    assert data["account"]["consents"][0]["ip_address"] == "10.0.0.1"
    assert data["account"]["devices"][0]["expo_push_token"] == "ExponentPushToken[abc]"
    listings = {item["id"]: item for item in data["listings"]["listings"]}
    assert set(listings) == {str(listing.pk), str(estate.pk)}
    assert listings[str(listing.pk)]["details"]["make"] == "Toyota"
    assert listings[str(estate.pk)]["details"]["rooms"] == 2
    assert listings[str(listing.pk)]["media"][0]["files"] == [media.file.name]
    assert data["listings"]["favorites"][0]["listing_id"] == str(other.pk)
    assert data["listings"]["reports"][0]["comment"] == "prepayment"
    assert data["business"]["memberships"][0]["business__name"] == "Ош Авто"
    assert data["business"]["invitations_received"][0]["role"] == "seller"
    assert data["payments"]["payments"][0]["id"] == str(promotion.payment_id)
    assert data["payments"]["promotions"][0]["id"] == str(promotion.pk)
    entry = AuditEntry.objects.get(action="user.data_exported")
    assert (entry.actor, entry.target_id) == (staff, str(seller.pk))
    assert entry.data["to"] == "stdout"
    assert {"account", "listings", "business", "payments"} <= set(entry.data["sections"])


def test_export_user_data_writes_a_file_only_its_owner_reads(
    seller: User, staff: User, tmp_path: Path
) -> None:
    target = tmp_path / "export.json"
    target.write_text("an older file, readable by all")
    target.chmod(0o644)

    out = run(
        "export_user_data", "--phone", seller.phone, "--by", staff.phone, "--output", str(target)
    )

    assert out == ""
    assert json.loads(target.read_text(encoding="utf-8"))["account"]["profile"]["display_name"] == (
        "Азамат"
    )
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert AuditEntry.objects.get(action="user.data_exported").data["to"] == str(target)


def test_export_user_data_needs_a_staff_member(seller: User) -> None:
    with pytest.raises(CommandError, match="not an active staff member"):
        run("export_user_data", "--phone", seller.phone, "--by", seller.phone)

    assert not AuditEntry.objects.filter(action="user.data_exported").exists()


def test_a_failed_export_is_not_recorded(seller: User, staff: User, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-dir" / "export.json"

    with pytest.raises(CommandError, match=r"Could not write .*No such file or directory"):
        run(
            "export_user_data",
            "--phone",
            seller.phone,
            "--by",
            staff.phone,
            "--output",
            str(missing),
        )

    assert not AuditEntry.objects.filter(action="user.data_exported").exists()


# --- purge_expired -----------------------------------------------------------------------------


def stored(name: str, *, age: timedelta) -> str:
    name = default_storage.save(name, ContentFile(b"bytes"))
    moment = time.time() - age.total_seconds()
    os.utime(default_storage.path(name), (moment, moment))
    return name


@pytest.fixture
def expired_things(seller: User) -> dict[str, Any]:
    """One of each thing purge_expired deletes, and a neighbour of each it must keep."""
    now, old, recent = timezone.now(), timedelta(hours=2), timedelta(minutes=5)
    codes = {
        "old": PhoneCode.objects.create(
            phone=seller.phone, purpose="login", code_hash="x", expires_at=now - timedelta(days=2)
        ),
        "recent": PhoneCode.objects.create(
            phone=seller.phone, purpose="login", code_hash="y", expires_at=now - timedelta(hours=1)
        ),
    }
    issue_tokens(seller)
    issue_tokens(seller)
    OutstandingToken.objects.filter(pk=OutstandingToken.objects.first().pk).update(  # type: ignore[union-attr]
        expires_at=now - timedelta(minutes=1)
    )
    stale_session, fresh_session = LoginSession.objects.all()
    LoginSession.objects.filter(pk=stale_session.pk).update(refreshed_at=now - timedelta(days=31))
    dealer = BusinessFactory(name="Ош Авто", slug="osh-avto")
    invitations = {
        age: Invitation.objects.create(
            business=dealer,
            phone=f"+99670000{age:04d}",
            role="seller",
            invited_by=seller,
            expires_at=now - timedelta(days=age),
        )
        for age in (31, 1)
    }
    listing = personal_listing(seller)
    media = add_image(listing.pk)
    os.utime(default_storage.path(media.file.name), (time.time() - 7200,) * 2)
    seller.avatar = stored("avatars/mine.webp", age=old)
    seller.save(update_fields=("avatar",))
    files = {
        "kept": [
            media.file.name,
            seller.avatar.name,
            stored(f"listings/{listing.pk}/uploading.jpg", age=recent),
        ],
        "orphans": [
            stored(f"listings/{listing.pk}/left-behind.jpg", age=old),
            stored("listings/00000000-0000-0000-0000-000000000000/gone.mp4", age=old),
            stored("listings/stray.txt", age=old),
            stored("avatars/replaced.webp", age=old),
            stored("logos/replaced.webp", age=old),
        ],
    }
    sessions = {"stale": stale_session, "fresh": fresh_session}
    return {"codes": codes, "invitations": invitations, "files": files, "sessions": sessions}


def test_purge_expired_dry_run_counts_and_deletes_nothing(expired_things: dict[str, Any]) -> None:
    before = audit_count()

    out = run("purge_expired", "--dry-run")

    assert "expired login codes: 1 would be deleted" in out
    assert "expired refresh tokens: 1 would be deleted" in out
    assert "ended login sessions: 1 would be deleted" in out
    assert "expired invitations: 1 would be deleted" in out
    assert "orphaned listing media: 3 would be deleted" in out
    assert "orphaned avatars: 1 would be deleted" in out
    assert "orphaned logos: 1 would be deleted" in out
    assert PhoneCode.objects.count() == 2
    assert OutstandingToken.objects.count() == 2
    assert LoginSession.objects.count() == 2
    assert Invitation.objects.count() == 2
    files = expired_things["files"]
    assert all(default_storage.exists(name) for name in files["kept"] + files["orphans"])
    assert audit_count() == before


def test_purge_expired_deletes_only_what_outlived_its_use(
    expired_things: dict[str, Any], seller: User
) -> None:
    unpaid = bought(seller, active_listing(seller)).payment
    Payment.objects.filter(pk=unpaid.pk).update(
        status=PaymentStatus.EXPIRED, expires_at=timezone.now() - timedelta(days=400)
    )

    out = run("purge_expired")

    assert "orphaned listing media: 3 deleted" in out
    assert list(PhoneCode.objects.all()) == [expired_things["codes"]["recent"]]
    assert OutstandingToken.objects.count() == 1
    sessions = expired_things["sessions"]
    assert not LoginSession.objects.filter(pk=sessions["stale"].pk).exists()
    assert LoginSession.objects.filter(pk=sessions["fresh"].pk).exists()
    assert list(Invitation.objects.all()) == [expired_things["invitations"][1]]
    files = expired_things["files"]
    assert all(default_storage.exists(name) for name in files["kept"])
    assert not any(default_storage.exists(name) for name in files["orphans"])
    assert Payment.objects.filter(pk=unpaid.pk).exists()  # financial records stay
    assert Promotion.objects.filter(payment=unpaid).exists()
    entry = AuditEntry.objects.get(action="system.purged")
    assert entry.data["expired login codes"] == 1
    assert entry.data["orphaned avatars"] == 1


def test_a_failed_purge_step_still_records_what_was_deleted(
    expired_things: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from marketplace import staff

    steps = staff.purge_steps()

    def broken(*, now: Any, dry_run: bool) -> int:
        raise OSError("storage unreachable")

    monkeypatch.setattr(staff, "purge_steps", lambda: [steps[0], ("broken", broken), *steps[1:]])

    with pytest.raises(OSError, match="storage unreachable"):
        run("purge_expired")

    entry = AuditEntry.objects.get(action="system.purged")
    assert entry.data == {steps[0][0]: entry.data[steps[0][0]], "failed_at": "broken"}
    assert entry.data[steps[0][0]] >= 1


def test_purge_expired_with_nothing_uploaded_yet() -> None:
    out = run("purge_expired")

    assert "orphaned listing media: 0 deleted" in out


# --- marketplace_stats -------------------------------------------------------------------------


def test_marketplace_stats_counts_what_happened(seller: User) -> None:
    paid(seller, active_listing(seller))
    personal_listing(seller, payload=ESTATE)
    pending = personal_listing(seller)
    Listing.objects.filter(pk=pending.pk).update(
        status="pending_review", review_requested_at=timezone.now() - timedelta(minutes=10)
    )
    BusinessFactory(name="Ош Авто", slug="osh-avto")
    before = audit_count()

    figures = json.loads(run("marketplace_stats", "--json"))
    table = run("marketplace_stats")

    assert figures["users"]["total"] == figures["users"]["active"] == 1
    assert figures["listings"]["by_status"]["active"] == 1
    assert figures["listings"]["by_status"]["pending_review"] == 1
    assert figures["listings"]["created_24h"] == {"car": 2, "horse": 0, "real_estate": 1}
    assert figures["listings"]["created_7d"]["car"] == 2
    assert figures["promotions"]["active_promotions"] == 1
    assert figures["promotions"]["payments_by_status"]["succeeded"] == 1
    assert figures["moderation"]["queue_size"] == 1
    assert 590 <= figures["moderation"]["oldest_waiting_seconds"] < 700
    assert figures["businesses"]["by_subscription_status"]["trial"] == 1
    assert "listings\n" in table
    assert "by_status.pending_review" in table
    assert "queue_size" in table
    assert audit_count() == before


# --- create_moderator --------------------------------------------------------------------------


def test_create_moderator_dry_run_changes_nothing() -> None:
    existing = UserFactory(phone="+996700123456")
    before = audit_count()

    promote = run("create_moderator", "--phone", "0700 123 456", "--dry-run")
    create_new = run("create_moderator", "--phone", "0700 654 321", "--dry-run")

    assert "Would promote moderator +996700123456" in promote
    assert "Would create moderator +996700654321" in create_new
    existing.refresh_from_db()
    assert existing.role == Role.USER
    assert not User.objects.filter(phone="+996700654321").exists()
    assert audit_count() == before


def test_create_moderator_dry_run_meets_the_same_refusal() -> None:
    user_set_role(user=UserFactory(phone="+996700123456"), role=Role.ADMIN, actor=None)

    with pytest.raises(CommandError, match="admin already"):
        run("create_moderator", "--phone", "+996700123456", "--dry-run")
