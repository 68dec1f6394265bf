"""The generated demo catalogue for `seed_demo`: CATALOGUE_SIZE listings of twenty demo users and
the two demo businesses, cars first, then real estate, then horses, in the cities of Kyrgyzstan
and all three currencies. Most are active; some wait in the moderation queue, some are sold, a
few are drafts. Each has a small photo; a handful also play a video in the feed.

Everything comes from a seeded random.Random, so every run plans the same catalogue, and goes
through the services the app uses. Idempotent: each listing has a fixed client id.
"""

import random
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from django.core.management.base import OutputWrapper

from accounts.demo import DEMO_MODERATOR_PHONE
from accounts.models import User
from business.demo import BUSINESSES, demo_slug

from .models import Category, Status
from .reference import BUILDING_SERIES, CAR_MAKES, HORSE_BREEDS

CATALOGUE_SIZE = 200
VIDEO_LISTINGS = 4  # with listings/demo.py's one, five listings play a video in the feed
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

# (city, weight, districts): the capital first, as on any Kyrgyz classifieds site.
CITIES: tuple[tuple[str, int, tuple[str, ...]], ...] = (
    ("Бишкек", 40, ("Джал", "Асанбай", "Восток-5", "Кок-Жар", "Аламедин-1", "Тунгуч", "Центр")),
    ("Ош", 14, ("Центр", "Черёмушки", "Амир-Темур", "Анар")),
    ("Каракол", 6, ()),
    ("Джалал-Абад", 6, ()),
    ("Токмок", 5, ()),
    ("Кара-Балта", 4, ()),
    ("Нарын", 4, ()),
    ("Талас", 3, ()),
    ("Баткен", 3, ()),
    ("Узген", 3, ()),
    ("Кант", 3, ()),
    ("Чолпон-Ата", 3, ()),
    ("Кочкор", 2, ()),
    ("Балыкчы", 2, ()),
)
# Mostly active; every twenty also holds two in review, two sold and a draft.
A, P, S, D = Status.ACTIVE, Status.PENDING_REVIEW, Status.SOLD, Status.DRAFT
STATUS_CYCLE = (A, P, A, A, S, A, A, A, D, A, A, P, A, A, A, S, A, A, A, A)

USD_IN = {"USD": Decimal(1), "KGS": Decimal("87.5"), "KZT": Decimal(500)}
ROUNDING = {"USD": Decimal(100), "KGS": Decimal(5000), "KZT": Decimal(50000)}

# A 2020 sedan's price in USD (and how common the make is); older ones lose 8% a year.
CAR_BASE_USD = {
    "Toyota": (26000, 20),
    "Lexus": (46000, 6),
    "Honda": (14000, 10),
    "Mercedes-Benz": (42000, 7),
    "BMW": (38000, 4),
    "Hyundai": (17000, 9),
    "Kia": (17000, 6),
    "Volkswagen": (16000, 4),
    "Audi": (30000, 3),
    "Subaru": (16000, 5),
    "Mitsubishi": (18000, 4),
    "Nissan": (18000, 4),
    "Chevrolet": (11000, 6),
    "Daewoo": (5000, 4),
    "Lada": (8000, 4),
    "BYD": (28000, 3),
    "Zeekr": (42000, 1),
    "Li Auto": (45000, 2),
    "Tesla": (35000, 2),
}
ELECTRIC = {"BYD", "Zeekr", "Tesla"}
LAST_YEAR = {"2107": 2012, "Ipsum": 2009, "Matiz": 2015, "Estima": 2019}  # out of production
BODY_PRICE = {"suv": 1.6, "minivan": 1.2, "van": 1.2}  # times the make's base price
JAPANESE = {"Toyota", "Lexus", "Honda", "Subaru", "Mitsubishi", "Nissan"}
BODIES = {
    body: set(models.split("|"))
    for body, models in (
        (
            "suv",
            "Land Cruiser|Land Cruiser Prado|RAV4|Highlander|RX|LX|GX|CR-V|G-Class|X5|Tucson|"
            "Santa Fe|Sportage|Sorento|Touareg|Q7|Forester|Pajero|Outlander|X-Trail|Patrol|"
            "Song Plus|L7|L9|Model Y|Niva",
        ),
        ("minivan", "Alphard|Ipsum|Estima|Odyssey|Stepwgn|Delica"),
        ("hatchback", "Fit|Golf|Rio|Spark|Matiz|Granta"),
        ("wagon", "Outback"),
        ("van", "Sprinter|Porter"),
    )
}
CAR_COLORS = ("белый", "чёрный", "серебристый", "серый", "синий", "красный", "бежевый")
CAR_NOTES = (
    "Один хозяин, сервисная история.",
    "Растаможена, документы в порядке.",
    "Без ДТП, родная краска.",
    "Свежепригнана, всё обслужено.",
    "Зимняя резина в подарок.",
    "Возможен обмен, торг у машины.",
    "Кредит и рассрочка через банк.",
)
HORSE_PURPOSES = {
    "kok_boru": ("для кок-бору", 200_000, 800_000),
    "racing": ("для скачек", 300_000, 2_500_000),
    "breeding": ("для разведения", 150_000, 600_000),
    "riding": ("под седло", 100_000, 300_000),
    "meat": ("на мясо", 80_000, 180_000),
    "dairy": ("дойная, для кымыза", 100_000, 220_000),
}
HORSE_SEXES = {"stallion": "Жеребец", "mare": "Кобыла", "gelding": "Мерин"}
# Kyrgyz horses first, as HORSE_BREEDS lists them.
HORSE_BREED_WEIGHTS = (30, 30, 8, 6, 3, 8, 4, 5, 3, 3)
HORSE_COLORS = ("гнедой", "вороной", "рыжий", "серый", "буланый", "саврасый")
HORSE_NOTES = (
    "Спокойный, к седлу приучен.",
    "Все прививки, ветпаспорт есть.",
    "Родословная известна, родители призёры.",
    "Содержался на жайлоо, в хорошей форме.",
    "Можно посмотреть в работе.",
)
ESTATE_NOTES = (
    "Документы готовы, госакт на руках.",
    "Рядом школа, садик и рынок.",
    "Свежий ремонт, остаётся мебель.",
    "Тихий двор, своя парковка.",
    "Газ, вода и свет подведены.",
)
# USD per m² of a flat for sale, by city; elsewhere the last one.
SQUARE_METRE_USD = {"Бишкек": 1150, "Ош": 800, "": 500}
LAND_DISCOUNT = 20  # land costs about a twentieth of a flat's square metre


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


def _price(rng: random.Random, usd: float, currencies: dict[str, int]) -> dict[str, str]:
    currency = rng.choices(list(currencies), weights=list(currencies.values()))[0]
    amount = Decimal(usd * rng.uniform(0.85, 1.15)) * USD_IN[currency]
    step = ROUNDING[currency]
    return {
        "price": str(max(step, (amount / step).quantize(Decimal(1)) * step)),
        "currency": currency,
    }


def _city(rng: random.Random, home: str | None = None) -> dict[str, str]:
    if home is not None and rng.random() < 0.85:
        city = home
    else:
        city = rng.choices([c[0] for c in CITIES], weights=[c[1] for c in CITIES])[0]
    districts = next(c[2] for c in CITIES if c[0] == city)
    return {"city": city, "region": rng.choice(districts) if districts else ""}


def _car(rng: random.Random, where: dict[str, str]) -> dict[str, Any]:
    make = rng.choices(list(CAR_BASE_USD), weights=[w for _, w in CAR_BASE_USD.values()])[0]
    model = rng.choice(CAR_MAKES[make])
    if make in ELECTRIC | {"Li Auto"}:
        year = rng.randint(2019, 2025)
    else:
        year = rng.randint(2004, LAST_YEAR.get(model, 2024))
    body = next((body for body, models in BODIES.items() if model in models), "sedan")
    mileage = 0 if year == 2025 else (2025 - year) * rng.randint(8, 20) * 1000
    fuel = "electric" if make in ELECTRIC else "hybrid" if make == "Li Auto" else "petrol"
    if fuel == "petrol":
        fuel = rng.choices(("petrol", "gas", "diesel", "hybrid"), weights=(70, 15, 8, 7))[0]
    base_usd = CAR_BASE_USD[make][0] * BODY_PRICE.get(body, 1) * 0.92 ** (2020 - year)
    if make in {"Lada", "Daewoo"}:
        transmission = "manual"
    else:
        transmission = rng.choice(("automatic", "automatic", "cvt", "robot"))
    drive = "rwd" if make in {"BMW", "Mercedes-Benz"} else "fwd"
    return {
        "category": Category.CAR,
        "title": f"{make} {model}, {year}" + rng.choice(("", ", в отличном состоянии", ", срочно")),
        "description": " ".join(rng.sample(CAR_NOTES, 2)),
        **_price(rng, base_usd, {"USD": 50, "KGS": 40, "KZT": 10}),
        "is_negotiable": rng.random() < 0.6,
        **where,
        "details": {
            "make": make,
            "model": model,
            "year": year,
            "mileage_km": mileage,
            "body_type": body,
            "fuel": fuel,
            "transmission": transmission,
            "drive": "awd" if body == "suv" else drive,
            "steering": "right" if make in JAPANESE and rng.random() < 0.25 else "left",
            "color": rng.choice(CAR_COLORS),
            "condition": "new" if mileage == 0 else "used",
            "customs_cleared": rng.random() < 0.85,
        },
    }


def _horse(rng: random.Random, where: dict[str, str]) -> dict[str, Any]:
    breeds = [labels[0] for _, labels in HORSE_BREEDS]
    breed = rng.choices(breeds, weights=HORSE_BREED_WEIGHTS)[0]
    sex = rng.choice(list(HORSE_SEXES))
    # Only mares give milk; a gelding is not bred from.
    unfit = {"stallion": {"dairy"}, "mare": set(), "gelding": {"dairy", "breeding"}}[sex]
    purpose = rng.choice([p for p in HORSE_PURPOSES if p not in unfit])
    label, low, high = HORSE_PURPOSES[purpose]
    born = rng.randint(2012, 2023)
    return {
        "category": Category.HORSE,
        "title": f"{HORSE_SEXES[sex]} {label}, {breed.lower()} порода, {born} г.р.",
        "description": " ".join(rng.sample(HORSE_NOTES, 2)),
        **_price(
            rng, rng.uniform(low, high) / float(USD_IN["KGS"]), {"KGS": 80, "KZT": 12, "USD": 8}
        ),
        **where,
        "details": {
            "breed": breed,
            "sex": sex,
            "birth_year": born,
            "height_cm": rng.randint(135, 165),
            "color": rng.choice(HORSE_COLORS),
            "purpose": purpose,
            "vaccinated": rng.random() < 0.8,
        },
    }


def _real_estate(rng: random.Random, where: dict[str, str]) -> dict[str, Any]:
    kind = rng.choices(("apartment", "house", "land", "commercial"), weights=(55, 25, 12, 8))[0]
    rent = rng.random() < {"apartment": 0.3, "house": 0.15, "land": 0.0, "commercial": 0.5}[kind]
    place = where["region"] or where["city"]
    metre = SQUARE_METRE_USD.get(where["city"], SQUARE_METRE_USD[""])
    details: dict[str, Any] = {"property_type": kind, "deal_type": "rent" if rent else "sale"}
    if kind == "apartment":
        rooms = rng.choices((1, 2, 3, 4), weights=(30, 35, 25, 10))[0]
        series, labels = rng.choice(BUILDING_SERIES)
        total = rng.randint(12, 16) if series == "elite" else rng.choice((4, 5, 9))
        area = rooms * rng.randint(18, 24) + rng.randint(12, 20)
        details |= {"rooms": rooms, "floor": rng.randint(1, total), "floors_total": total}
        details |= {"building_series": series, "has_documents": True}
        title = f"{rooms}-комнатная квартира, {labels[0]}, {place}"
        title = f"Сдаётся {title[0].lower()}{title[1:]}" if rent else title
    elif kind == "house":
        rooms, sotka = rng.randint(3, 7), rng.randint(3, 12)
        area = rooms * rng.randint(20, 35)
        details |= {"rooms": rooms, "land_area_sotka": str(sotka), "has_documents": True}
        title = f"{'Сдаётся дом' if rent else 'Дом'} {area} м² на {sotka} сотках, {place}"
    elif kind == "land":
        sotka = rng.randint(5, 20)
        area = sotka * 100
        details |= {"land_area_sotka": str(sotka), "has_documents": rng.random() < 0.7}
        title = f"Участок {sotka} соток, {place}"
        metre = metre // LAND_DISCOUNT
    else:
        area = rng.randint(40, 400)
        title = f"{'Аренда помещения' if rent else 'Коммерческое помещение'} {area} м², {place}"
    details["area_m2"] = str(area)
    # A month's rent is about half a percent of the price.
    usd = area * metre * (0.005 if rent else 1)
    currencies = {"KGS": 100} if rent else {"USD": 70, "KGS": 25, "KZT": 5}
    return {
        "category": Category.REAL_ESTATE,
        "title": title,
        "description": " ".join(rng.sample(ESTATE_NOTES, 2)),
        **_price(rng, usd, currencies),
        "is_negotiable": rng.random() < 0.5,
        **where,
        "details": details,
    }


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
            owner, data = DEALER, _car(rng, {"city": "Бишкек", "region": "Южная магистраль"})
        elif draw < 0.45:
            owner, data = AGENCY, _real_estate(rng, _city(rng, "Ош"))
        else:
            owner = DEMO_USERS[index % len(DEMO_USERS)][0]
            maker = rng.choices((_car, _real_estate, _horse), weights=(45, 30, 25))[0]
            data = maker(rng, _city(rng, homes[owner]))
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

    from .demo import demo_image, demo_video
    from .exceptions import ListingLimitReached
    from .serializers import ListingCreateSerializer
    from .services.listings import (
        listing_approve,
        listing_create,
        listing_mark_sold,
        listing_submit,
    )
    from .services.media import media_add

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
