"""The authorization matrix (OWASP API1, API3, API5): every endpoint of the contract, called by
every role, answers the status that role must get.

Roles: `anonymous` (no token), `other` (a user with nothing to do with the objects), `owner`
(the private seller of the personal listings, the seller side of their threads and the payer
of their boost), `seller` and `admin` (of the business that owns the business listings),
`moderator`, `banned` (a token issued before the ban).

The rules the table spells out, from the contract:
- no credentials: 401 `not_authenticated`; a banned user's token: 401 `token_not_valid`
  (authentication reads the user's state on every request), also on public endpoints that
  read a token, not on those that read none (login, legal documents, reference, webhooks);
- someone else's object the caller may not see is 404 `not_found`, never 403; writing
  to an object that is not theirs (a listing, its media, a thread, a payment, another business's
  team) is a 404 as well: the scoping selectors return "missing" and "not yours" alike;
- 403 for a role the caller lacks on something they can see: a moderator-only endpoint
  (`permission_denied`), a business seller doing what only its admins do.

Then the property level: fields a caller may not set are ignored when sent.
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import URLResolver, get_resolver, resolve
from django.utils import timezone

from accounts.models import User
from business.models import Business
from listings.models import Listing
from tests.matrix import CAR, ROLES, World, build_world, picture

pytestmark = pytest.mark.django_db

Expect = int | tuple[int, str]

ANON: Expect = (401, "not_authenticated")
BANNED: Expect = (401, "token_not_valid")
HIDDEN: Expect = (404, "not_found")
DENIED: Expect = (403, "permission_denied")
NOT_ADMIN: Expect = 403


def users(ok: Expect, **cells: Expect) -> dict[str, Expect]:
    """An endpoint for logged-in users: every user gets `ok` unless a cell says otherwise."""
    table = dict.fromkeys(ROLES, ok)
    return {**table, "anonymous": ANON, "banned": BANNED, **cells}


def public(ok: Expect, **cells: Expect) -> dict[str, Expect]:
    """Open to anyone; a token, when sent, is still checked (the banned one fails)."""
    return users(ok, anonymous=ok, **cells)


def tokenless(ok: Expect, **cells: Expect) -> dict[str, Expect]:
    """Open to anyone and reads no token at all."""
    return {**dict.fromkeys(ROLES, ok), **cells}


def owner_side(ok: Expect, **cells: Expect) -> dict[str, Expect]:
    """The owner's personal object: theirs alone; 404 to every other user."""
    return users(HIDDEN, owner=ok, **cells)


def business_side(ok: Expect, **cells: Expect) -> dict[str, Expect]:
    """The business's object: its admins and sellers; 404 to every other user."""
    return users(HIDDEN, seller=ok, admin=ok, **cells)


def business_admins(ok: Expect, **cells: Expect) -> dict[str, Expect]:
    """What only the business's admins do: 403 to its sellers, 404 to outsiders."""
    return users(HIDDEN, admin=ok, seller=NOT_ADMIN, **cells)


def moderators(ok: Expect, **cells: Expect) -> dict[str, Expect]:
    return users(DENIED, moderator=ok, **cells)


def image(name: str = "photo.jpg") -> dict[str, Any]:
    return {"file": SimpleUploadedFile(name, picture(), content_type="image/jpeg")}


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str
    expect: dict[str, Expect]
    body: Any = None  # a dict (its strings formatted with the world's ids) or a callable
    multipart: bool = False


ENDPOINTS: list[Endpoint] = [
    # --- accounts ---------------------------------------------------------------------------
    Endpoint(
        "otp-request",
        "post",
        "/api/v1/auth/otp/request/",
        tokenless(202),
        {"phone": "+996700999111"},
    ),
    Endpoint(
        "otp-verify",
        "post",
        "/api/v1/auth/otp/verify/",
        tokenless(400),
        {"phone": "+996700999111", "code": "000000"},
    ),
    Endpoint(
        "token-refresh",
        "post",
        "/api/v1/auth/token/refresh/",
        tokenless((401, "token_not_valid")),
        {"refresh": "not-a-token"},
    ),
    Endpoint("logout", "post", "/api/v1/auth/logout/", users(204), {"refresh": "{refresh}"}),
    Endpoint("logout-all", "post", "/api/v1/auth/logout-all/", users(204)),
    Endpoint("legal-documents", "get", "/api/v1/legal/documents/", tokenless(200)),
    Endpoint("me", "get", "/api/v1/me/", users(200)),
    Endpoint("me-update", "patch", "/api/v1/me/", users(200), {"display_name": "Нурлан"}),
    Endpoint("me-avatar", "post", "/api/v1/me/avatar/", users(200), image, multipart=True),
    Endpoint("me-consents", "get", "/api/v1/me/consents/", users(200)),
    Endpoint(
        "me-consents-record",
        "post",
        "/api/v1/me/consents/",
        users(201),
        {"kind": "marketing_communications", "accepted": True},
    ),
    Endpoint("me-phone", "post", "/api/v1/me/phone/", users(202), {"phone": "+996700999222"}),
    Endpoint(
        "me-phone-verify",
        "post",
        "/api/v1/me/phone/verify/",
        users(400),
        {"phone": "+996700999222", "code": "000000"},
    ),
    Endpoint(
        "me-devices-add",
        "post",
        "/api/v1/me/devices/",
        users(201),
        {"expo_push_token": "ExponentPushToken[abcdefgh12]", "platform": "ios"},
    ),
    Endpoint(
        "me-devices-remove",
        "delete",
        "/api/v1/me/devices/",
        users(204),
        {"expo_push_token": "ExponentPushToken[abcdefgh12]"},
    ),
    # The business's only admin cannot leave it by deleting their account.
    Endpoint("me-delete", "delete", "/api/v1/me/", users(204, admin=(409, "last_admin"))),
    # --- listings: reading --------------------------------------------------------------------
    Endpoint("reference", "get", "/api/v1/reference/", tokenless(200)),
    Endpoint("feed", "get", "/api/v1/listings/feed/", public(200)),
    Endpoint("search", "get", "/api/v1/listings/", public(200)),
    Endpoint("detail-active", "get", "/api/v1/listings/{active}/", public(200)),
    Endpoint(
        "detail-draft",
        "get",
        "/api/v1/listings/{draft}/",
        owner_side(200, anonymous=HIDDEN, moderator=200),
    ),
    Endpoint(
        "detail-pending",
        "get",
        "/api/v1/listings/{pending}/",
        owner_side(200, anonymous=HIDDEN, moderator=200),
    ),
    Endpoint(
        "detail-business-draft",
        "get",
        "/api/v1/listings/{biz_draft}/",
        business_side(200, anonymous=HIDDEN, moderator=200),
    ),
    Endpoint("my-listings", "get", "/api/v1/me/listings/", users(200)),
    Endpoint("business-listings", "get", "/api/v1/business/{biz}/listings/", public(200)),
    # --- listings: writing --------------------------------------------------------------------
    Endpoint("create", "post", "/api/v1/listings/", users(201), CAR),
    # Not a member of the business: the same refusal as a business that does not exist.
    Endpoint(
        "create-for-business",
        "post",
        "/api/v1/listings/",
        users(400, seller=201, admin=201),
        {**CAR, "business_id": "{biz}"},
    ),
    Endpoint(
        "update",
        "patch",
        "/api/v1/listings/{draft}/",
        owner_side(200),
        {"title": "Toyota Camry 70, restyled"},
    ),
    Endpoint(
        "update-active",
        "patch",
        "/api/v1/listings/{active}/",
        owner_side(200),
        {"title": "Toyota Camry 70, restyled"},
    ),
    Endpoint(
        "update-business",
        "patch",
        "/api/v1/listings/{biz_draft}/",
        business_side(200),
        {"title": "Toyota Camry 70, restyled"},
    ),
    Endpoint("archive", "delete", "/api/v1/listings/{active}/", owner_side(204)),
    Endpoint("archive-business", "delete", "/api/v1/listings/{biz_active}/", business_side(204)),
    Endpoint("submit", "post", "/api/v1/listings/{draft}/submit/", owner_side(200)),
    Endpoint("submit-business", "post", "/api/v1/listings/{biz_draft}/submit/", business_side(200)),
    Endpoint("mark-sold", "post", "/api/v1/listings/{active}/mark-sold/", owner_side(200)),
    Endpoint(
        "mark-sold-business",
        "post",
        "/api/v1/listings/{biz_active}/mark-sold/",
        business_side(200),
    ),
    Endpoint(
        "media-upload",
        "post",
        "/api/v1/listings/{active}/media/",
        owner_side(201),
        lambda: {**image(), "kind": "image"},
        multipart=True,
    ),
    Endpoint(
        "media-upload-business",
        "post",
        "/api/v1/listings/{biz_active}/media/",
        business_side(201),
        lambda: {**image(), "kind": "image"},
        multipart=True,
    ),
    Endpoint(
        "media-move",
        "patch",
        "/api/v1/listings/{active}/media/{media}/",
        owner_side(200),
        {"position": 0},
    ),
    Endpoint("media-delete", "delete", "/api/v1/listings/{active}/media/{media}/", owner_side(204)),
    # Another listing's media through a listing the caller edits: not found.
    Endpoint(
        "media-delete-crossed",
        "delete",
        "/api/v1/listings/{active}/media/{biz_media}/",
        owner_side(HIDDEN),
    ),
    Endpoint(
        "media-delete-business",
        "delete",
        "/api/v1/listings/{biz_active}/media/{biz_media}/",
        business_side(204),
    ),
    # --- listings: what buyers do -------------------------------------------------------------
    Endpoint("favorite", "post", "/api/v1/listings/{active}/favorite/", users(204)),
    Endpoint("unfavorite", "delete", "/api/v1/listings/{active}/favorite/", users(204)),
    Endpoint(
        "favorite-draft",
        "post",
        "/api/v1/listings/{draft}/favorite/",
        owner_side(204, moderator=204),
    ),
    Endpoint(
        "unfavorite-draft",
        "delete",
        "/api/v1/listings/{draft}/favorite/",
        owner_side(204, moderator=204),
    ),
    Endpoint("my-favorites", "get", "/api/v1/me/favorites/", users(200)),
    Endpoint("phone", "post", "/api/v1/listings/{active}/phone/", users(200)),
    Endpoint(
        "phone-draft", "post", "/api/v1/listings/{draft}/phone/", owner_side(200, moderator=200)
    ),
    Endpoint(
        "report",
        "post",
        "/api/v1/listings/{active}/report/",
        users(201, owner=(400, "cannot_report_own")),
        {"reason": "spam"},
    ),
    Endpoint(
        "report-business",
        "post",
        "/api/v1/listings/{biz_active}/report/",
        users(201, seller=(400, "cannot_report_own"), admin=(400, "cannot_report_own")),
        {"reason": "spam"},
    ),
    Endpoint(
        "report-draft",
        "post",
        "/api/v1/listings/{draft}/report/",
        owner_side((400, "cannot_report_own"), moderator=201),
        {"reason": "spam"},
    ),
    # --- business -----------------------------------------------------------------------------
    Endpoint("business-create", "post", "/api/v1/business/", users(201), {"name": "Osh Realty"}),
    Endpoint("business-plans", "get", "/api/v1/business/plans/", public(200)),
    Endpoint("business-page", "get", "/api/v1/business/{biz}/", public(200)),
    Endpoint(
        "business-update",
        "patch",
        "/api/v1/business/{biz}/",
        business_admins(200),
        {"description": "Cars from Japan and Korea."},
    ),
    Endpoint(
        "business-logo",
        "post",
        "/api/v1/business/{biz}/logo/",
        business_admins(200),
        image,
        multipart=True,
    ),
    Endpoint("members", "get", "/api/v1/business/{biz}/members/", business_side(200)),
    Endpoint(
        "member-promote",
        "patch",
        "/api/v1/business/{biz}/members/{seller_id}/",
        business_admins(200),
        {"role": "admin"},
    ),
    Endpoint(
        "member-demote-admin",
        "patch",
        "/api/v1/business/{biz}/members/{admin_id}/",
        business_admins((409, "last_admin")),
        {"role": "seller"},
    ),
    # A seller may leave; only admins remove someone else.
    Endpoint(
        "member-remove-seller",
        "delete",
        "/api/v1/business/{biz}/members/{seller_id}/",
        business_side(204),
    ),
    Endpoint(
        "member-remove-admin",
        "delete",
        "/api/v1/business/{biz}/members/{admin_id}/",
        business_admins((409, "last_admin")),
    ),
    Endpoint("invitations", "get", "/api/v1/business/{biz}/invitations/", business_admins(200)),
    Endpoint(
        "invite",
        "post",
        "/api/v1/business/{biz}/invitations/",
        business_admins(201),
        {"phone": "+996700999333", "role": "seller"},
    ),
    Endpoint(
        "invitation-revoke",
        "delete",
        "/api/v1/business/{biz}/invitations/{invitation}/",
        business_admins(204),
    ),
    Endpoint("my-invitations", "get", "/api/v1/me/invitations/", users(200)),
    # The invitation is addressed to "other": nobody else may answer it.
    Endpoint(
        "invitation-accept",
        "post",
        "/api/v1/me/invitations/{invitation}/accept/",
        users(HIDDEN, other=204),
    ),
    Endpoint(
        "invitation-decline",
        "post",
        "/api/v1/me/invitations/{invitation}/decline/",
        users(HIDDEN, other=204),
    ),
    Endpoint(
        "subscription",
        "post",
        "/api/v1/business/{biz}/subscription/",
        business_admins(201),
        {"plan": "business_monthly"},
    ),
    # --- chat ---------------------------------------------------------------------------------
    Endpoint(
        "thread-open",
        "post",
        "/api/v1/chat/threads/",
        users(201, owner=(400, "cannot_message_self")),
        {"listing_id": "{active}"},
    ),
    Endpoint(
        "thread-open-business",
        "post",
        "/api/v1/chat/threads/",
        users(201, seller=(400, "cannot_message_self"), admin=(400, "cannot_message_self")),
        {"listing_id": "{biz_active}"},
    ),
    Endpoint(
        "thread-open-draft",
        "post",
        "/api/v1/chat/threads/",
        users(HIDDEN, owner=(400, "cannot_message_self")),
        {"listing_id": "{draft}"},
    ),
    Endpoint(
        "thread-open-pending",
        "post",
        "/api/v1/chat/threads/",
        users(HIDDEN, owner=(400, "cannot_message_self")),
        {"listing_id": "{pending}"},
    ),
    Endpoint("threads", "get", "/api/v1/chat/threads/", users(200)),
    Endpoint("messages", "get", "/api/v1/chat/threads/{thread}/messages/", owner_side(200)),
    Endpoint(
        "messages-business",
        "get",
        "/api/v1/chat/threads/{biz_thread}/messages/",
        business_side(200),
    ),
    Endpoint(
        "message-send",
        "post",
        "/api/v1/chat/threads/{thread}/messages/",
        owner_side(201),
        {"body": "Здравствуйте!", "client_id": "c-1"},
    ),
    Endpoint(
        "message-send-business",
        "post",
        "/api/v1/chat/threads/{biz_thread}/messages/",
        business_side(201),
        {"body": "Здравствуйте!", "client_id": "c-1"},
    ),
    Endpoint(
        "read", "post", "/api/v1/chat/threads/{thread}/read/", owner_side(204), {"up_to_seq": 0}
    ),
    Endpoint("block", "post", "/api/v1/chat/threads/{thread}/block/", owner_side(204)),
    Endpoint("unblock", "delete", "/api/v1/chat/threads/{thread}/block/", owner_side(204)),
    Endpoint(
        "block-business", "post", "/api/v1/chat/threads/{biz_thread}/block/", business_side(204)
    ),
    # --- promotions and payments --------------------------------------------------------------
    Endpoint("promotion-plans", "get", "/api/v1/promotions/plans/", public(200)),
    Endpoint(
        "promote",
        "post",
        "/api/v1/promotions/",
        owner_side(201),
        {"listing_id": "{active}", "plan": "boost_3"},
    ),
    Endpoint(
        "promote-business",
        "post",
        "/api/v1/promotions/",
        business_side(201),
        {"listing_id": "{biz_active}", "plan": "boost_3"},
    ),
    Endpoint("promotions", "get", "/api/v1/promotions/", users(200)),
    Endpoint("payment", "get", "/api/v1/payments/{payment}/", owner_side(200)),
    # The provider's callback needs its signature, whoever sends it.
    Endpoint(
        "webhook",
        "post",
        "/api/v1/payments/webhook/test/",
        tokenless((400, "invalid_signature")),
        {"event_id": "e-1", "payment_id": "{payment}", "status": "succeeded"},
    ),
    # --- moderation ---------------------------------------------------------------------------
    Endpoint("queue", "get", "/api/v1/moderation/queue/", moderators(200)),
    Endpoint("approve", "post", "/api/v1/moderation/listings/{pending}/approve/", moderators(200)),
    Endpoint(
        "reject",
        "post",
        "/api/v1/moderation/listings/{pending}/reject/",
        moderators(200),
        {"reason_code": "other", "note": "Blurry photos."},
    ),
    Endpoint(
        "dismiss-reports",
        "post",
        "/api/v1/moderation/listings/{active}/dismiss-reports/",
        moderators(204),
        {},
    ),
    Endpoint("events", "get", "/api/v1/moderation/listings/{pending}/events/", moderators(200)),
]

CELLS = [
    pytest.param(endpoint, role, id=f"{endpoint.name}-{role}")
    for endpoint in ENDPOINTS
    for role in ROLES
]


def fill(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {key: fill(item, ids) for key, item in value.items()}
    return value


def call(world: World, role: str, endpoint: Endpoint) -> Any:
    ids = world.ids(role)
    body = endpoint.body() if callable(endpoint.body) else fill(endpoint.body, ids)
    request = getattr(world.client(role), endpoint.method)
    path = endpoint.path.format(**ids)
    if endpoint.multipart:
        return request(path, body, format="multipart")
    return request(path, body, format="json") if body is not None else request(path)


@pytest.fixture(scope="module")
def shared_world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    """The world, built once per module (and per worker) inside a transaction that is rolled
    back at the end, like Django's `setUpTestData`: each test runs in a savepoint of it (the
    `db` fixture), so whatever a cell changes is undone before the next one."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def world(shared_world: World, db: Any) -> World:
    return shared_world


@pytest.mark.parametrize(("endpoint", "role"), CELLS)
def test_every_role_gets_what_the_contract_says(
    world: World, endpoint: Endpoint, role: str
) -> None:
    # Given the world; when `role` calls the endpoint
    response = call(world, role, endpoint)

    # then the answer is the cell's status (and error code, where the cell names one)
    expected = endpoint.expect[role]
    status, code = expected if isinstance(expected, tuple) else (expected, None)
    assert response.status_code == status, (response.status_code, response.content[:500])
    if code is not None:
        assert response.json()["error"]["code"] == code, response.content[:500]


# --- Object level in lists: what a role may not see is not in its pages ---------------------

SEES_ALL = ("anonymous", "other", "owner", "seller", "admin", "moderator")


@dataclass(frozen=True)
class Listed:
    name: str
    path: str
    item: str  # the placeholder of the object looked for
    seen_by: tuple[str, ...]
    key: Callable[[dict[str, Any]], str] = lambda row: str(row["id"])


LISTED = [
    Listed("feed-active", "/api/v1/listings/feed/", "active", SEES_ALL),
    Listed("feed-draft", "/api/v1/listings/feed/", "draft", ()),
    Listed("search-pending", "/api/v1/listings/", "pending", ()),
    Listed("search-business-draft", "/api/v1/listings/", "biz_draft", ()),
    Listed("business-listings-active", "/api/v1/business/{biz}/listings/", "biz_active", SEES_ALL),
    Listed(
        "business-listings-draft",
        "/api/v1/business/{biz}/listings/",
        "biz_draft",
        ("seller", "admin", "moderator"),
    ),
    Listed("my-listings-draft", "/api/v1/me/listings/", "draft", ("owner",)),
    Listed("my-listings-business", "/api/v1/me/listings/", "biz_draft", ("seller", "admin")),
    Listed(
        "my-listings-of-a-business",
        "/api/v1/me/listings/?business={biz}",
        "biz_active",
        ("seller", "admin"),
    ),
    Listed("threads", "/api/v1/chat/threads/", "thread", ("owner",)),
    Listed("threads-business", "/api/v1/chat/threads/", "biz_thread", ("seller", "admin")),
    Listed(
        "my-invitations",
        "/api/v1/me/invitations/",
        "invitation",
        ("other",),
        key=lambda row: str(row["id"]),
    ),
    Listed(
        "promotions",
        "/api/v1/promotions/",
        "active",
        ("owner",),
        key=lambda row: str(row["listing_id"]),
    ),
    Listed(
        "queue",
        "/api/v1/moderation/queue/",
        "pending",
        ("moderator",),
        key=lambda row: str(row["listing"]["id"]),
    ),
]


@pytest.mark.parametrize(
    ("listed", "role"),
    [
        pytest.param(listed, role, id=f"{listed.name}-{role}")
        for listed in LISTED
        for role in SEES_ALL
    ],
)
def test_a_list_shows_an_object_only_to_those_who_may_see_it(
    world: World, listed: Listed, role: str
) -> None:
    ids = world.ids(role)
    response = world.client(role).get(listed.path.format(**ids))

    if response.status_code in (401, 403):  # the matrix checks who may call it at all
        assert role not in listed.seen_by
        return
    assert response.status_code == 200, response.content
    body = response.json()
    rows = body["results"] if isinstance(body, dict) else body
    assert (ids[listed.item] in {listed.key(row) for row in rows}) == (role in listed.seen_by)


@pytest.mark.parametrize("role", SEES_ALL)
def test_only_members_see_the_subscription_of_a_business(world: World, role: str) -> None:
    response = world.client(role).get(f"/api/v1/business/{world.business.pk}/")

    assert response.status_code == 200
    assert ("subscription" in response.json()) == (role in ("seller", "admin"))


# --- Every endpoint is in the table ---------------------------------------------------------


def api_operations() -> set[tuple[str, str]]:
    """(method, route) of every operation under /api/v1/."""
    operations: set[tuple[str, str]] = set()

    def walk(patterns: Any, prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern).removeprefix("^")  # as resolve() joins them
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
                continue
            if not route.startswith("api/v1/"):
                continue
            view = pattern.callback
            actions = getattr(view, "actions", None)
            if actions is not None:  # a viewset's route: its methods are its actions
                methods = set(actions)
            else:
                view_class = view.cls
                methods = {m for m in view_class.http_method_names if hasattr(view_class, m)}
            operations.update((m, route) for m in methods - {"options", "head"})

    walk(get_resolver().url_patterns, "")
    return operations


def test_the_table_covers_every_operation_of_the_api() -> None:
    # Given an id in every placeholder (resolving needs only their shape)
    placeholder = "00000000-0000-4000-8000-000000000000"
    covered = set()
    for endpoint in ENDPOINTS:
        match = resolve(re.sub(r"\{\w+\}", placeholder, endpoint.path))
        covered.add((endpoint.method, match.route))

    # then no operation of the API is missing from the matrix
    assert api_operations() - covered == set()


# --- Property level: what a caller may not set is ignored -----------------------------------


def test_a_user_cannot_raise_his_own_role_or_state_through_his_profile(world: World) -> None:
    owner = world.users["owner"]
    phone, version = owner.phone, owner.token_version

    response = world.client("owner").patch(
        "/api/v1/me/",
        {
            "display_name": "Нурлан",
            "role": "admin",
            "is_staff": True,
            "is_superuser": True,
            "is_active": False,
            "phone": "+996700999444",
            "token_version": version + 5,
            "businesses": [{"id": str(world.business.pk), "role": "admin"}],
        },
        format="json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["role"] == "user"
    assert response.json()["businesses"] == []
    owner = User.objects.get(pk=owner.pk)
    assert owner.display_name == "Нурлан"
    assert (owner.role, owner.is_staff, owner.is_superuser, owner.is_active) == (
        "user",
        False,
        False,
        True,
    )
    assert (owner.phone, owner.token_version) == (phone, version)
    assert not world.business.memberships.filter(user=owner).exists()


FORGED_LISTING_FIELDS: dict[str, Any] = {
    "status": "active",
    "is_boosted": True,
    "boosted_until": "2099-01-01T00:00:00Z",
    "boost_started_at": "2020-01-01T00:00:00Z",
    "views_count": 100000,
    "favorites_count": 5000,
    "phone_reveals_count": 700,
    "published_at": "2020-01-01T00:00:00Z",
    "rejection_code": "",
    "seller": {"id": "{other_id}", "is_business": True},
    "author": "{other_id}",
    "author_id": "{other_id}",
    "business": "{biz}",
    "business_id": "{biz}",
    "category": "horse",
    "id": "00000000-0000-4000-8000-000000000000",
}


def forged(world: World, **fields: Any) -> dict[str, Any]:
    return {**fill(FORGED_LISTING_FIELDS, world.ids()), **fields}


def assert_untouched(listing: Listing, *, author: User, status: str) -> None:
    assert listing.status == status
    assert listing.author_id == author.pk
    assert listing.business_id is None
    assert listing.category == "car"
    assert listing.boosted_until is None
    assert listing.boost_started_at is None
    assert (listing.views_count, listing.favorites_count, listing.phone_reveals_count) == (0, 0, 0)


def test_a_seller_cannot_set_status_boost_counters_or_owner_of_his_listing(world: World) -> None:
    # Given the owner's draft; when they PATCH it with fields only the system sets
    response = world.client("owner").patch(
        f"/api/v1/listings/{world.draft.pk}/",
        forged(world, title="Toyota Camry 70, restyled", details={"listing": str(world.active.pk)}),
        format="json",
    )

    # then the edit is taken, everything else ignored
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["is_boosted"], body["boosted_until"]) == ("draft", False, None)
    assert body["seller"]["id"] == str(world.users["owner"].pk)
    listing = Listing.objects.get(pk=world.draft.pk)
    assert listing.title == "Toyota Camry 70, restyled"
    assert listing.published_at is None
    assert_untouched(listing, author=world.users["owner"], status="draft")
    assert world.active.car.listing_id == world.active.pk


def test_editing_an_active_listing_cannot_keep_it_out_of_review(world: World) -> None:
    response = world.client("owner").patch(
        f"/api/v1/listings/{world.active.pk}/",
        forged(world, title="Toyota Camry 70, restyled"),
        format="json",
    )

    assert response.status_code == 200, response.content
    listing = Listing.objects.get(pk=world.active.pk)
    assert_untouched(listing, author=world.users["owner"], status="pending_review")


def test_a_new_listing_is_a_draft_of_its_caller_whatever_the_body_says(world: World) -> None:
    body = forged(world, **CAR)  # its category is the car's: a real choice, not a forgery
    body.pop("business_id")  # asking for a business is allowed: checked in the matrix

    response = world.client("other").post("/api/v1/listings/", body, format="json")

    assert response.status_code == 201, response.content
    listing = Listing.objects.get(pk=response.json()["id"])
    assert listing.pk != FORGED_LISTING_FIELDS["id"]
    assert listing.published_at is None
    assert_untouched(listing, author=world.users["other"], status="draft")


def test_a_business_admin_cannot_verify_his_business_or_grant_it_a_subscription(
    world: World,
) -> None:
    before = Business.objects.get(pk=world.business.pk)
    end = (timezone.now() + timedelta(days=3650)).isoformat()

    response = world.client("admin").patch(
        f"/api/v1/business/{world.business.pk}/",
        {
            "description": "Cars from Japan and Korea.",
            "verified": True,
            "slug": "taken-over",
            "subscription_status": "active",
            "subscription": {"plan": "business_yearly", "status": "active"},
            "subscription_plan": "business_yearly",
            "current_period_end": end,
            "trial_user": str(world.users["other"].pk),
        },
        format="json",
    )

    assert response.status_code == 200, response.content
    business = Business.objects.get(pk=world.business.pk)
    assert business.description == "Cars from Japan and Korea."
    assert business.verified is False
    assert business.slug == before.slug
    assert business.subscription_status == before.subscription_status
    assert business.subscription_plan_id == before.subscription_plan_id
    assert business.current_period_end == before.current_period_end
    assert business.trial_user_id == before.trial_user_id


def test_a_new_business_is_unverified_on_a_trial_whatever_the_body_says(world: World) -> None:
    response = world.client("other").post(
        "/api/v1/business/",
        {"name": "Osh Realty", "verified": True, "subscription_status": "active"},
        format="json",
    )

    assert response.status_code == 201, response.content
    business = Business.objects.get(pk=response.json()["id"])
    assert business.verified is False
    assert business.subscription_status == "trial"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/business/{biz}/members/{seller_id}/", {"role": "owner"}),
        ("/api/v1/business/{biz}/invitations/", {"phone": "+996700999555", "role": "owner"}),
    ],
    ids=["member-role", "invitation-role"],
)
def test_a_business_role_outside_admin_and_seller_is_refused(
    world: World, path: str, body: dict[str, str]
) -> None:
    method = "patch" if "members" in path else "post"
    response = getattr(world.client("admin"), method)(
        path.format(**world.ids()), body, format="json"
    )

    assert response.status_code == 400, response.content
    assert response.json()["error"]["fields"]["role"]


def test_a_message_is_sent_as_its_caller_with_the_next_seq(world: World) -> None:
    response = world.client("owner").post(
        f"/api/v1/chat/threads/{world.thread.pk}/messages/",
        {
            "body": "Здравствуйте!",
            "client_id": "c-1",
            "sender_id": str(world.users["other"].pk),
            "seq": 999,
            "thread_id": str(world.biz_thread.pk),
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    message = response.json()
    assert message["sender_id"] == str(world.users["owner"].pk)
    assert message["thread_id"] == str(world.thread.pk)
    assert message["seq"] == 1


def test_a_promotion_is_priced_and_started_by_the_plan_not_the_body(world: World) -> None:
    response = world.client("owner").post(
        "/api/v1/promotions/",
        {
            "listing_id": str(world.active.pk),
            "plan": "boost_3",
            "status": "active",
            "amount": "1.00",
            "days": 365,
            "payment": {"status": "succeeded", "amount": "1.00"},
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "pending_payment"
    assert body["payment"]["amount"] == "200.00"
    assert Listing.objects.get(pk=world.active.pk).boosted_until is None


def test_a_report_opens_whatever_status_the_body_says(world: World) -> None:
    response = world.client("other").post(
        f"/api/v1/listings/{world.active.pk}/report/",
        {"reason": "fraud", "status": "dismissed", "reporter": str(world.users["owner"].pk)},
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["status"] == "open"
    assert world.active.reports.filter(reporter=world.users["other"], status="open").exists()
