"""Creating a business, its public page, editing it, its logo and the plans."""

import io
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from PIL import Image

from accounts.models import AuditEntry
from accounts.tests.factories import UserFactory
from business.models import Business, Membership
from business.tests.conftest import BUSINESS, client_for, join, make_business, url
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db

PUBLIC_FIELDS = {
    "id",
    "name",
    "slug",
    "description",
    "logo_url",
    "phone",
    "city",
    "verified",
    "active_listings_count",
    "created_at",
}


def test_creating_a_business_makes_the_caller_its_admin_on_a_14_day_trial(owner: Any) -> None:
    response = client_for(owner).post(
        BUSINESS,
        {
            "name": "  Бишкек Моторс ",
            "description": "Автосалон",
            "phone": "0700 123 456",
            "city": "Бишкек",
            "verified": True,
            "subscription_status": "active",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == PUBLIC_FIELDS | {"subscription"}
    assert body["name"] == "Бишкек Моторс"
    assert body["slug"] == "бишкек-моторс"
    assert body["phone"] == "+996700123456"
    assert body["verified"] is False
    assert body["logo_url"] is None
    assert body["active_listings_count"] == 0
    assert body["subscription"]["status"] == "trial"
    assert body["subscription"]["plan"] is None
    period_end = parse_datetime(body["subscription"]["current_period_end"])
    assert period_end is not None
    assert abs(period_end - (timezone.now() + timedelta(days=14))) < timedelta(minutes=1)
    assert Membership.objects.get(business_id=body["id"]).role == "admin"
    assert client_for(owner).get("/api/v1/me/").json()["businesses"] == [
        {"id": body["id"], "name": "Бишкек Моторс", "role": "admin"}
    ]
    assert AuditEntry.objects.filter(action="business.created", target_id=body["id"]).exists()


def test_the_trial_is_once_per_user_a_second_business_starts_past_due(owner: Any) -> None:
    first = make_business(owner)
    second = make_business(owner, name="Bishkek Motors 2")

    assert first.subscription_status == "trial"
    assert second.subscription_status == "past_due"
    assert second.current_period_end is None
    assert second.past_due_since is not None
    # Someone else still gets their own trial.
    assert make_business(UserFactory()).subscription_status == "trial"


def test_two_businesses_with_one_name_get_different_slugs(owner: Any) -> None:
    first, second = make_business(owner), make_business(UserFactory())

    assert first.slug == "bishkek-motors"
    assert second.slug.startswith("bishkek-motors-")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": " "}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"name": "Ok name", "phone": "12345"}, "phone"),
        ({"name": "Ok name", "description": "x" * 5001}, "description"),
        ({"name": "Ok name", "city": ""}, "city"),
        ({"name": ["not", "text"]}, "name"),
    ],
)
def test_creating_refuses_invalid_input(owner: Any, body: dict[str, Any], field: str) -> None:
    response = client_for(owner).post(BUSINESS, body, format="json")

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not Business.objects.exists()


def test_creating_needs_a_logged_in_caller() -> None:
    assert_error(
        client_for().post(BUSINESS, {"name": "Motors"}, format="json"), 401, "not_authenticated"
    )


def test_anyone_sees_the_public_page_members_also_see_the_subscription(
    business: Business, seller: Any, outsider: Any, owner: Any
) -> None:
    for viewer in (None, outsider):
        body = client_for(viewer).get(url(business)).json()
        assert set(body) == PUBLIC_FIELDS
    for member in (owner, seller):
        body = client_for(member).get(url(business)).json()
        assert body["subscription"]["status"] == "trial"


def test_an_unknown_business_is_404() -> None:
    assert_error(
        client_for().get(f"{BUSINESS}5f0c6c1e-6d7b-4e8a-9d7e-0c6f3b9a1a11/"), 404, "not_found"
    )


def test_its_admins_edit_the_profile_the_verified_flag_is_not_theirs(
    business: Business, owner: Any
) -> None:
    response = client_for(owner).patch(
        url(business),
        {"description": "Новые и б/у", "city": "Ош", "phone": None, "verified": True},
        format="json",
    )

    assert response.status_code == 200, response.content
    business.refresh_from_db()
    assert (business.description, business.city, business.phone) == ("Новые и б/у", "Ош", "")
    assert business.verified is False
    assert business.name == "Bishkek Motors"
    entry = AuditEntry.objects.get(action="business.updated")
    assert entry.data == {"fields": ["description", "phone", "city"]}


def test_an_edit_reads_the_admins_membership_once(
    business: Business, owner: Any, django_assert_num_queries: Any
) -> None:
    client = client_for(owner)

    # The admin's membership, the business locked, its update and audit entry inside a
    # savepoint, the listings count of the answer: no second membership lookup for it.
    with django_assert_num_queries(7):
        response = client.patch(url(business), {"city": "Ош"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["city"] == "Ош"


def test_a_seller_cannot_edit_the_profile_and_an_outsider_gets_404(
    business: Business, seller: Any, outsider: Any
) -> None:
    assert_error(
        client_for(seller).patch(url(business), {"name": "Mine now"}, format="json"),
        403,
        "permission_denied",
    )
    assert_error(
        client_for(outsider).patch(url(business), {"name": "Mine now"}, format="json"),
        404,
        "not_found",
    )
    business.refresh_from_db()
    assert business.name == "Bishkek Motors"


def picture(fmt: str = "JPEG", size: tuple[int, int] = (1200, 800)) -> SimpleUploadedFile:
    data = io.BytesIO()
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    image.save(data, format=fmt, exif=exif) if fmt == "JPEG" else image.save(data, format=fmt)
    return SimpleUploadedFile(f"logo.{fmt.lower()}", data.getvalue())


def test_the_logo_is_re_encoded_without_metadata(business: Business, owner: Any) -> None:
    response = client_for(owner).post(
        url(business, "logo/"), {"file": picture()}, format="multipart"
    )

    assert response.status_code == 200, response.content
    assert response.json()["logo_url"].startswith("http://testserver/media/logos/")
    business.refresh_from_db()
    with business.logo.open("rb") as stored, Image.open(stored) as image:
        assert image.format == "WEBP"
        assert max(image.size) == 512
        assert not image.getexif()
    assert AuditEntry.objects.filter(action="business.logo_changed").exists()


def test_a_logo_that_is_no_picture_is_415_and_a_seller_gets_403(
    business: Business, owner: Any, seller: Any
) -> None:
    fake = SimpleUploadedFile("logo.png", b"%PDF-1.4 not a picture")
    assert_error(
        client_for(owner).post(url(business, "logo/"), {"file": fake}, format="multipart"),
        415,
        "unsupported_media_type",
    )
    assert_error(
        client_for(seller).post(url(business, "logo/"), {"file": picture()}, format="multipart"),
        403,
        "permission_denied",
    )
    business.refresh_from_db()
    assert not business.logo


def test_a_logo_above_the_limit_is_413(business: Business, owner: Any, settings: Any) -> None:
    settings.BUSINESS_LOGO_MAX_BYTES = 100

    response = client_for(owner).post(
        url(business, "logo/"), {"file": picture()}, format="multipart"
    )

    assert_error(response, 413, "payload_too_large")


def test_plans_are_listed_for_anyone_in_the_payment_currency(
    subscription_plans: None, settings: Any
) -> None:
    response = client_for().get(f"{BUSINESS}plans/")

    assert response.status_code == 200
    assert response.json() == [
        {
            "code": "business_monthly",
            "name": "Бизнес на месяц",
            "months": 1,
            "price": "2500.00",
            "currency": settings.PAYMENT_CURRENCY,
        },
        {
            "code": "business_yearly",
            "name": "Бизнес на год",
            "months": 12,
            "price": "25000.00",
            "currency": settings.PAYMENT_CURRENCY,
        },
    ]
    english = client_for().get(f"{BUSINESS}plans/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert english[0]["name"] == "Business, monthly"


def test_me_lists_every_business_of_the_caller_with_his_role(
    business: Business, other_business: Business
) -> None:
    user = join(business, "seller")
    join(other_business, "admin", user)

    businesses = client_for(user).get("/api/v1/me/").json()["businesses"]

    assert businesses == [
        {"id": str(business.pk), "name": "Bishkek Motors", "role": "seller"},
        {"id": str(other_business.pk), "name": "Osh Realty", "role": "admin"},
    ]
