"""Rate limits on every endpoint that costs money or invites abuse; docs/product-rules.md,
"Rate limits".

Already proven elsewhere and not repeated here:
- OTP request and verify, phone change codes: `accounts/tests/test_ratelimit.py` (per phone, per
  address, the global SMS ceiling, fail closed) and `accounts/tests/test_profile_api.py`.
- Message send, 20 per 10 s: `test_a_user_may_send_20_messages_in_10_seconds` in
  `chat/tests/test_api.py` and `test_a_client_may_send_20_messages_in_10_seconds` in
  `chat/tests/test_socket.py`.
- Phone reveal, 30 an hour: `test_the_31st_reveal_within_an_hour_is_throttled` in
  `listings/tests/test_engagement_api.py`.

Here: the scoped write throttles (listing writes, reports, uploads, invitations) and the admin's
login page. Each answers 429 `throttled` with `Retry-After`, in the contract's shape.
"""

import io
import re
from pathlib import Path
from typing import Any

import pytest
import redis
from django.conf import LazySettings, settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from accounts import ratelimit
from accounts.models import Role, User
from accounts.services import user_set_role
from accounts.tests.factories import UserFactory
from business.models import Business
from business.tests.factories import BusinessFactory, MembershipFactory
from listings.models import Listing
from listings.tests.conftest import CAR, client_for
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
LISTINGS = "/api/v1/listings/"
ADMIN_LOGIN = "/admin/login/"
DEFAULT_RATES = {
    "listing_write": "120/hour",
    "report": "20/hour",
    "upload": "300/hour",
    "invitation": "30/hour",
    "business_create": "3/day",
}


def assert_throttled(response: Any, *, within: int) -> None:
    assert_error(response, 429, "throttled")
    assert 0 < int(response["Retry-After"]) <= within


@pytest.fixture
def rate(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Set a scope's rate for this test (DRF's throttles read the rates once, at import)."""

    def set_rate(scope: str, value: str) -> None:
        monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, scope, value)

    return set_rate


@pytest.fixture
def user() -> User:
    return UserFactory()


def active_listing(user: User) -> Listing:
    response = client_for(user).post(LISTINGS, CAR, format="json")
    assert response.status_code == 201, response.content
    Listing.objects.filter(pk=response.json()["id"]).update(
        status="active", published_at=timezone.now()
    )
    return Listing.objects.get(pk=response.json()["id"])


def jpeg() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (200, 30, 30)).save(buffer, format="JPEG")
    return SimpleUploadedFile("photo.jpg", buffer.getvalue(), content_type="image/jpeg")


# --- The numbers ------------------------------------------------------------------------------


def test_the_default_rates_are_the_documented_ones() -> None:
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    rules = (ROOT / "docs" / "product-rules.md").read_text()
    section = rules.split("\n## Rate limits\n", 1)[1].split("\n## ", 1)[0]

    for scope, value in DEFAULT_RATES.items():
        assert rates[scope] == value
        number, period = value.split("/")
        assert re.search(rf"\b{number} an? {period}\b", section), (scope, value)
    assert "core.throttling.ScopedRateThrottle" in [
        f"{cls.__module__}.{cls.__name__}" for cls in api_settings.DEFAULT_THROTTLE_CLASSES
    ]
    for name in ("ADMIN_LOGIN_PER_IP_PER_HOUR", "ADMIN_LOGIN_PER_ACCOUNT_PER_HOUR"):
        assert f"`{name}`" in section
        assert re.search(rf"\b{getattr(settings, name)} an hour\b", section)


# --- Listing writes ---------------------------------------------------------------------------


def test_listing_writes_are_throttled_per_user(user: User, rate: Any) -> None:
    rate("listing_write", "3/hour")
    client = client_for(user)
    first = client.post(LISTINGS, CAR, format="json")
    listing_id = first.json()["id"]

    assert first.status_code == 201
    assert (
        client.patch(f"{LISTINGS}{listing_id}/", {"title": "Toyota Camry 70, 2019"}).status_code
        == 200
    )
    assert (
        client.post(LISTINGS, {**CAR, "title": "Honda Fit, 2012"}, format="json").status_code == 201
    )
    assert_throttled(client.post(LISTINGS, CAR, format="json"), within=3600)
    assert Listing.objects.count() == 2
    # Reading is not a write: the seller still sees their listing, and others still post.
    assert client.get(f"{LISTINGS}{listing_id}/").status_code == 200
    assert client_for(UserFactory()).post(LISTINGS, CAR, format="json").status_code == 201


# --- Businesses -------------------------------------------------------------------------------


def test_creating_businesses_is_throttled_per_user(user: User, rate: Any) -> None:
    rate("business_create", "2/day")
    client = client_for(user)

    statuses = [
        client.post("/api/v1/business/", {"name": f"Motors {i}"}, format="json").status_code
        for i in range(2)
    ]

    assert statuses == [201, 201]
    assert_throttled(
        client.post("/api/v1/business/", {"name": "Motors 3"}, format="json"), within=86400
    )
    assert Business.objects.count() == 2
    other = client_for(UserFactory())
    assert other.post("/api/v1/business/", {"name": "Osh"}, format="json").status_code == 201


# --- Reports ----------------------------------------------------------------------------------


def test_reports_are_throttled_per_user(user: User, rate: Any) -> None:
    rate("report", "2/hour")
    listings = [active_listing(UserFactory()) for _ in range(3)]
    client = client_for(user)

    def report(listing: Listing) -> Any:
        return client.post(f"{LISTINGS}{listing.pk}/report/", {"reason": "fraud"}, format="json")

    assert report(listings[0]).status_code == 201
    assert report(listings[1]).status_code == 201

    assert_throttled(report(listings[2]), within=3600)
    assert (
        client_for(UserFactory())
        .post(f"{LISTINGS}{listings[2].pk}/report/", {"reason": "fraud"}, format="json")
        .status_code
        == 201
    )


# --- Uploads ----------------------------------------------------------------------------------


def test_uploads_share_one_budget_per_user(user: User, rate: Any) -> None:
    rate("upload", "2/hour")
    listing = active_listing(user)
    business = BusinessFactory(name="Motors", slug="motors")
    MembershipFactory(business=business, user=user, role="admin")
    client = client_for(user)
    media = f"{LISTINGS}{listing.pk}/media/"

    assert (
        client.post(media, {"kind": "image", "file": jpeg()}, format="multipart").status_code == 201
    )
    assert (
        client.post("/api/v1/me/avatar/", {"file": jpeg()}, format="multipart").status_code == 200
    )

    assert_throttled(
        client.post(media, {"kind": "image", "file": jpeg()}, format="multipart"), within=3600
    )
    assert_throttled(
        client.post(f"/api/v1/business/{business.pk}/logo/", {"file": jpeg()}, format="multipart"),
        within=3600,
    )
    assert_throttled(
        client.post("/api/v1/me/avatar/", {"file": jpeg()}, format="multipart"), within=3600
    )


# --- Invitations ------------------------------------------------------------------------------


def test_invitations_are_throttled_per_user_and_listing_them_is_not(user: User, rate: Any) -> None:
    rate("invitation", "2/hour")
    business = BusinessFactory(name="Motors", slug="motors")
    MembershipFactory(business=business, user=user, role="admin")
    client = client_for(user)
    url = f"/api/v1/business/{business.pk}/invitations/"

    def invite(phone: str) -> Any:
        return client.post(url, {"phone": phone, "role": "seller"}, format="json")

    assert invite("+996700111001").status_code == 201
    assert invite("+996700111002").status_code == 201
    assert_throttled(invite("+996700111003"), within=3600)
    for _ in range(3):
        assert client.get(url).status_code == 200


# --- The admin's login page -------------------------------------------------------------------


@pytest.fixture
def staff_phone() -> str:
    staff = user_set_role(user=UserFactory(), role=Role.MODERATOR, actor=None)
    staff.set_password("right-password-360")
    staff.save(update_fields=["password"])
    return staff.phone


def login(phone: str, password: str, *, ip: str = "203.0.113.5") -> Any:
    return Client(REMOTE_ADDR=ip).post(ADMIN_LOGIN, {"username": phone, "password": password})


def test_admin_login_attempts_are_limited_per_address(
    staff_phone: str, settings: LazySettings
) -> None:
    settings.ADMIN_LOGIN_PER_IP_PER_HOUR = 3
    settings.ADMIN_LOGIN_PER_ACCOUNT_PER_HOUR = 100

    for index in range(3):
        response = login(f"+99670099{index:04d}", "guess")
        assert response.status_code == 200  # the form again, with its error

    assert_throttled(login(staff_phone, "right-password-360"), within=3600)
    # Another address is not affected, and the page itself is always served.
    assert login(staff_phone, "right-password-360", ip="203.0.113.6").status_code == 302
    assert Client(REMOTE_ADDR="203.0.113.5").get(ADMIN_LOGIN).status_code == 200


def test_admin_login_attempts_are_limited_per_account_however_it_is_written(
    staff_phone: str, settings: LazySettings
) -> None:
    settings.ADMIN_LOGIN_PER_IP_PER_HOUR = 100
    settings.ADMIN_LOGIN_PER_ACCOUNT_PER_HOUR = 2
    local = "0" + staff_phone.removeprefix("+996")

    assert login(staff_phone, "guess-1", ip="198.51.100.1").status_code == 200
    assert login(local, "guess-2", ip="198.51.100.2").status_code == 200

    # A third try from a third address, even with the right password, waits.
    assert_throttled(login(staff_phone, "right-password-360", ip="198.51.100.3"), within=3600)
    # So does a spelling the login form reads as the same phone (NFKC: "¹" is "1").
    superscript = staff_phone[:-1] + "⁰¹²³⁴⁵⁶⁷⁸⁹"[int(staff_phone[-1])]
    assert_throttled(login(superscript, "right-password-360", ip="198.51.100.4"), within=3600)


def test_failed_tries_from_elsewhere_do_not_lock_staff_out_of_a_browser_they_used_before(
    staff_phone: str, settings: LazySettings
) -> None:
    settings.ADMIN_LOGIN_PER_ACCOUNT_PER_HOUR = 2
    own_browser = Client(REMOTE_ADDR="203.0.113.20")
    assert (
        own_browser.post(
            ADMIN_LOGIN, {"username": staff_phone, "password": "right-password-360"}
        ).status_code
        == 302
    )
    own_browser.post("/admin/logout/")
    # Someone else spends the account's budget, and more, from other addresses.
    for index in range(3):
        login(staff_phone, f"guess-{index}", ip=f"198.51.100.{index + 1}")
    assert_throttled(login(staff_phone, "right-password-360", ip="198.51.100.9"), within=3600)

    again = own_browser.post(
        ADMIN_LOGIN, {"username": staff_phone, "password": "right-password-360"}
    )

    assert again.status_code == 302


def test_a_device_cookie_of_another_account_does_not_escape_the_limit(
    staff_phone: str, settings: LazySettings
) -> None:
    settings.ADMIN_LOGIN_PER_ACCOUNT_PER_HOUR = 1
    other = user_set_role(user=UserFactory(), role=Role.MODERATOR, actor=None)
    other.set_password("other-password-360")
    other.save(update_fields=["password"])
    browser = Client(REMOTE_ADDR="203.0.113.30")
    browser.post(ADMIN_LOGIN, {"username": other.phone, "password": "other-password-360"})
    login(staff_phone, "guess", ip="198.51.100.1")

    response = browser.post(ADMIN_LOGIN, {"username": staff_phone, "password": "guess-2"})

    assert_throttled(response, within=3600)


def test_admin_login_fails_closed_without_the_limit_store(
    staff_phone: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(_limit: Any) -> Any:
        raise redis.ConnectionError("down")

    monkeypatch.setattr(ratelimit, "_hit_redis", down)

    response = login(staff_phone, "right-password-360")

    assert_error(response, 503, "service_unavailable")
