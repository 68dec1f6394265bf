"""The generated demo catalogue for `seed_demo`: CATALOGUE_SIZE listings of twenty demo users and
the two demo businesses, cars first, then real estate, then horses, in the cities of Kyrgyzstan
and all three currencies. Most are active; some wait in the moderation queue, some are sold, a
few are drafts. Each has a small photo; a handful also play a video in the feed.

Everything comes from a seeded random.Random, so every run plans the same catalogue, and goes
through the services the app uses. Idempotent: each listing has a fixed client id.
"""

import random
from dataclasses import dataclass, replace
from typing import Any

from django.core.management.base import OutputWrapper

from accounts.demo import DEMO_MODERATOR_PHONE
from accounts.models import User
from business.demo import BUSINESSES, demo_slug

from ..models import Category, Status
from .generators import random_car, random_horse, random_place, random_real_estate

CATALOGUE_SIZE = 200
VIDEO_LISTINGS = 4  # with sellers.py's one, five listings play a video in the feed
SEED = 360
PHOTO_WIDTH = 360  # half the hand-written listings' photos: 200 of them re-encode in seconds

# phone, name, home city
DEMO_USERS: tuple[tuple[str, str, str], ...] = tuple(
    (f"+996{prefix}30{number:04d}", name, city)
    for number, (prefix, name, city) in enumerate(
        (
            ("700", "Айбек", "Бишкек"),
            ("555", "Бермет", "Бишкек"),
            ("770", "Чынгыз", "Ош"),
            ("700", "Жылдыз", "Бишкек"),
            ("502", "Эрмек", "Каракол"),
            ("555", "Нургуль", "Бишкек"),
            ("770", "Талант", "Джалал-Абад"),
            ("700", "Асель", "Бишкек"),
            ("220", "Улан", "Нарын"),
            ("555", "Динара", "Ош"),
            ("770", "Канат", "Токмок"),
            ("700", "Мээрим", "Бишкек"),
            ("502", "Темирлан", "Талас"),
            ("555", "Айпери", "Бишкек"),
            ("770", "Руслан", "Кара-Балта"),
            ("700", "Назира", "Ош"),
            ("220", "Бекзат", "Баткен"),
            ("555", "Гулзат", "Бишкек"),
            ("770", "Марат", "Узген"),
            ("700", "Чолпон", "Кант"),
        ),
        start=1,
    )
)
DEALER, AGENCY = (demo_slug(entry[0]) for entry in BUSINESSES)

# Mostly active; every twenty also holds two in review, two sold and a draft.
A, P, S, D = Status.ACTIVE, Status.PENDING_REVIEW, Status.SOLD, Status.DRAFT
STATUS_CYCLE = (A, P, A, A, S, A, A, A, D, A, A, P, A, A, A, S, A, A, A, A)


@dataclass(frozen=True)
class Planned:
    client_id: str
    owner: str  # a DEMO_USERS phone, or a business slug
    status: str
    data: dict[str, Any]
    video: bool = False

    @property
    def seller(self) -> str:
        return "business" if self.owner in (DEALER, AGENCY) else "personal"


def plan_catalogue(size: int) -> list[Planned]:
    """The catalogue, the same for a size every time: a quarter the Bishkek dealer's cars, a
    fifth the Osh agency's properties, the rest the demo users' own, at most five each in the
    statuses the personal quota counts (the others sold)."""
    rng = random.Random(SEED)  # noqa: S311 - demo data, repeatable on purpose
    homes = {phone: city for phone, _name, city in DEMO_USERS}
    held = dict.fromkeys(homes, 0)
    planned = []
    for index in range(size):
        status, draw = STATUS_CYCLE[index % len(STATUS_CYCLE)], rng.random()
        if draw < 0.25:
            owner, data = DEALER, random_car(rng, {"city": "Бишкек", "region": "Южная магистраль"})
        elif draw < 0.45:
            owner, data = AGENCY, random_real_estate(rng, random_place(rng, "Ош"))
        else:
            owner = DEMO_USERS[index % len(DEMO_USERS)][0]
            maker = rng.choices(
                (random_car, random_real_estate, random_horse), weights=(45, 30, 25)
            )[0]
            data = maker(rng, random_place(rng, homes[owner]))
            if status != S:
                held[owner] += 1
                status = status if held[owner] <= 5 else S
        planned.append(Planned(f"demo-catalogue-{index}", owner, status, data))
    # A video on the first active listing of each category, and on a business's.
    picks: list[int] = []
    for wanted in (Category.CAR, Category.HORSE, Category.REAL_ESTATE, "business"):
        candidates = (
            i
            for i, p in enumerate(planned)
            if p.status == A and i not in picks and wanted in (p.data["category"], p.seller)
        )
        if (pick := next(candidates, None)) is not None:
            picks.append(pick)
    for pick in picks[:VIDEO_LISTINGS]:
        planned[pick] = replace(planned[pick], video=True)
    return planned


def featured_client_ids() -> list[str]:
    """The catalogue's listings with a video (all active): the ones worth boosting."""
    return [p.client_id for p in plan_catalogue(CATALOGUE_SIZE) if p.video]


def seed_catalogue(out: OutputWrapper) -> None:
    from business.models import Business

    from ..exceptions import ListingLimitReached
    from ..serializers import ListingCreateSerializer
    from ..services.listings import (
        listing_approve,
        listing_create,
        listing_mark_sold,
        listing_submit,
    )
    from ..services.media import media_add
    from .media import demo_image, demo_video

    moderator = User.objects.filter(phone=DEMO_MODERATOR_PHONE).first()
    authors: dict[str, list[User]] = {}
    for phone, name, city in DEMO_USERS:
        user, _ = User.objects.get_or_create(
            phone=phone, defaults={"display_name": name, "city": city}
        )
        authors[phone] = [user]
    businesses = {b.slug: b for b in Business.objects.filter(slug__in=(DEALER, AGENCY))}
    for slug, business in businesses.items():
        # The admin and the seller take turns.
        members = business.memberships.select_related("user").order_by("role", "pk")
        authors[slug] = [membership.user for membership in members]
    planned = plan_catalogue(CATALOGUE_SIZE)
    # Sold ones first: once sold they leave the quota the author's other listings fill.
    created = skipped = 0
    for index, plan in sorted(enumerate(planned), key=lambda item: item[1].status != S):
        team = authors[plan.owner]
        author = team[index % len(team)]
        serializer = ListingCreateSerializer(data=plan.data)
        serializer.is_valid(raise_exception=True)
        try:
            listing, is_new = listing_create(
                author=author,
                data=dict(serializer.validated_data),
                business=businesses.get(plan.owner),
                client_id=plan.client_id,
            )
        except ListingLimitReached:
            # A business from an older seed whose trial has lapsed.
            skipped += 1
            continue
        if not is_new:
            continue
        created += 1
        upload = demo_image(index, plan.data["title"], width=PHOTO_WIDTH)
        media_add(listing=listing, actor=author, kind="image", upload=upload)
        if plan.video and (video := demo_video()) is not None:
            media_add(listing=listing, actor=author, kind="video", upload=video)
        if plan.status == D:
            continue
        listing_submit(listing=listing, actor=author)
        if plan.status == P:
            continue
        listing_approve(listing=listing, actor=moderator)
        if plan.status == S:
            listing_mark_sold(listing=listing, actor=author)
    existed = len(planned) - created - skipped
    out.write(f"  catalogue listings: {created} created, {existed} existed, {skipped} skipped")
