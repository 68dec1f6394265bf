"""The world the authorization matrix runs in, and the roles that call into it.

One `World` per test: a personal seller ("owner") with a draft, a listing waiting for review
and an active listing (with a photo, a boost being paid for and a buyer's chat thread); a
business with an admin, a seller, a draft and an active listing (with its own thread) and a
pending invitation for "other"; a moderator; a banned user. Built through the services, with
the few status changes the moderation flow would make done directly, so a cell costs
a fraction of a second.
"""

import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import cast

from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from accounts.models import Role, User
from accounts.services.users import user_ban, user_set_role
from accounts.tests.factories import UserFactory
from accounts.tokens import issue_tokens
from business.models import Business, Invitation
from business.services.profile import business_create
from business.services.team import invitation_create
from business.tests.factories import MembershipFactory
from chat.models import Thread
from chat.services import thread_open
from listings.models import Listing, ListingMedia, Status
from listings.services.engagement import report_create
from listings.services.listings import listing_create
from listings.services.media import media_refresh_cover
from listings.tests.conftest import CAR
from promotions.models import Payment, Plan
from promotions.services.promotions import promotion_create

ROLES = ("anonymous", "other", "owner", "seller", "admin", "moderator", "banned")


def picture() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, format="JPEG")
    return buffer.getvalue()


def _listing(author: User, *, status: str, business: Business | None = None) -> Listing:
    data = {**CAR, "price": Decimal(CAR["price"])}
    listing, _ = listing_create(author=author, data=data, business=business)
    media = ListingMedia(listing=listing, kind="image")
    media.file.save("photo.jpg", ContentFile(picture()), save=False)
    media.save()
    media_refresh_cover(listing=listing)
    published = timezone.now() if status == Status.ACTIVE else None
    Listing.objects.filter(pk=listing.pk).update(status=status, published_at=published)
    listing.refresh_from_db()
    return listing


@dataclass
class World:
    users: dict[str, User]
    business: Business
    active: Listing
    draft: Listing
    pending: Listing
    biz_active: Listing
    biz_draft: Listing
    thread: Thread
    biz_thread: Thread
    payment: Payment
    invitation: Invitation
    tokens: dict[str, dict[str, str]] = field(default_factory=dict)

    def ids(self, role: str = "anonymous") -> dict[str, str]:
        """What a path template or a body may name, e.g. `{active}` or `{seller_id}`; `{refresh}`
        is the caller's own refresh token."""
        return {
            "refresh": self.tokens.get(role, {}).get("refresh", "none"),
            "active": str(self.active.pk),
            "draft": str(self.draft.pk),
            "pending": str(self.pending.pk),
            "biz_active": str(self.biz_active.pk),
            "biz_draft": str(self.biz_draft.pk),
            "media": str(self.active.media.get().pk),
            "biz_media": str(self.biz_active.media.get().pk),
            "thread": str(self.thread.pk),
            "biz_thread": str(self.biz_thread.pk),
            "payment": str(self.payment.pk),
            "biz": str(self.business.pk),
            "invitation": str(self.invitation.pk),
            "admin_id": str(self.users["admin"].pk),
            "seller_id": str(self.users["seller"].pk),
            "owner_id": str(self.users["owner"].pk),
            "other_id": str(self.users["other"].pk),
        }

    def client(self, role: str) -> APIClient:
        """An API client of `role` holding a real access token (anonymous: none)."""
        client = APIClient()
        if role != "anonymous":
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {self.tokens[role]['access']}")
        return client


def _user() -> User:
    return cast(User, UserFactory())


def build_world() -> World:
    users = {role: _user() for role in ROLES if role != "anonymous"}
    user_set_role(user=users["moderator"], role=Role.MODERATOR, actor=None)
    business = business_create(owner=users["admin"], data={"name": "Bishkek Motors"})
    MembershipFactory(business=business, user=users["seller"], role="seller")
    owner = users["owner"]
    active = _listing(owner, status=Status.ACTIVE)
    draft = _listing(owner, status=Status.DRAFT)
    pending = _listing(owner, status=Status.PENDING_REVIEW)
    biz_active = _listing(users["seller"], status=Status.ACTIVE, business=business)
    biz_draft = _listing(users["seller"], status=Status.DRAFT, business=business)
    buyer = _user()
    thread, _ = thread_open(buyer=buyer, listing_id=active.pk)
    biz_thread, _ = thread_open(buyer=buyer, listing_id=biz_active.pk)
    report_create(reporter=buyer, listing=active, reason="spam")
    promotion = promotion_create(user=owner, listing=active, plan=Plan.objects.get(code="boost_7"))
    invitation = invitation_create(
        business=business, actor=users["admin"], phone=users["other"].phone, role="seller"
    )
    # Tokens are issued before the ban, as the banned user's app still holds one.
    tokens = {role: issue_tokens(user) for role, user in users.items()}
    user_ban(user=users["banned"], actor=users["moderator"], reason="spam")
    return World(
        users=users,
        business=business,
        active=active,
        draft=draft,
        pending=pending,
        biz_active=biz_active,
        biz_draft=biz_draft,
        thread=thread,
        biz_thread=biz_thread,
        payment=promotion.payment,
        invitation=invitation,
        tokens=tokens,
    )
