"""Demo listings for `seed_demo`: real makes and models, Kyrgyz horse breeds, Bishkek and Osh
districts, each with a small generated photo (and one with a short video when ffmpeg is there).
Idempotent: every listing has a fixed client id, so a second run finds them all."""

from typing import Any

from django.core.management.base import OutputWrapper

from accounts.models import User

from .media import demo_image, demo_video

SELLERS = {
    "azamat": ("+996700100001", "Азамат", "Бишкек"),
    "aigul": ("+996700100002", "Айгуль", "Ош"),
    "bakyt": ("+996555100003", "Бакыт", "Нарын"),
    "nurlan": ("+996770100004", "Нурлан", "Бишкек"),
}

LISTINGS: list[dict[str, Any]] = [
    {
        "seller": "azamat",
        "category": "car",
        "title": "Toyota Camry 70, 2019, полный фарш",
        "description": "Один хозяин, обслуживалась у дилера. Растаможена, без ДТП.",
        "price": "2150000",
        "currency": "KGS",
        "city": "Бишкек",
        "region": "мкр. Джал",
        "details": {
            "make": "Toyota",
            "model": "Camry",
            "year": 2019,
            "mileage_km": 84000,
            "body_type": "sedan",
            "fuel": "petrol",
            "transmission": "automatic",
            "drive": "fwd",
            "steering": "left",
            "engine_volume_l": "2.5",
            "color": "белый",
            "condition": "used",
            "customs_cleared": True,
        },
    },
    {
        "seller": "aigul",
        "category": "car",
        "title": "Lexus RX 350, 2016, идеальное состояние",
        "price": "38500",
        "currency": "USD",
        "city": "Ош",
        "region": "Черёмушки",
        "details": {
            "make": "Lexus",
            "model": "RX",
            "year": 2016,
            "mileage_km": 121000,
            "body_type": "suv",
            "fuel": "petrol",
            "transmission": "automatic",
            "drive": "awd",
            "steering": "left",
            "color": "чёрный",
        },
    },
    {
        "seller": "nurlan",
        "category": "car",
        "title": "Honda Fit 2012, правый руль, экономичная",
        "price": "520000",
        "currency": "KGS",
        "city": "Бишкек",
        "region": "Восток-5",
        "details": {
            "make": "Honda",
            "model": "Fit",
            "year": 2012,
            "mileage_km": 168000,
            "body_type": "hatchback",
            "fuel": "hybrid",
            "transmission": "cvt",
            "steering": "right",
        },
    },
    {
        "seller": "bakyt",
        "category": "horse",
        "title": "Айгыр для кок-бору, новокиргизская порода",
        "description": "Сильный, выносливый, участвовал в районных играх.",
        "price": "450000",
        "currency": "KGS",
        "city": "Нарын",
        "details": {
            "breed": "Новокиргизская",
            "sex": "stallion",
            "birth_year": 2018,
            "height_cm": 152,
            "color": "гнедой",
            "purpose": "kok_boru",
            "vaccinated": True,
        },
    },
    {
        "seller": "bakyt",
        "category": "horse",
        "title": "Кыргызская кобыла, дойная (кымыз)",
        "price": "180000",
        "currency": "KGS",
        "city": "Кочкор",
        "region": "Нарынская область",
        "details": {"breed": "Кыргызская", "sex": "mare", "birth_year": 2020, "purpose": "dairy"},
    },
    {
        "seller": "azamat",
        "category": "real_estate",
        "title": "2-комнатная квартира, 106 серия, мкр. Асанбай",
        "description": "Евроремонт, 5 этаж из 9, документы готовы.",
        "price": "68000",
        "currency": "USD",
        "city": "Бишкек",
        "region": "Асанбай",
        "details": {
            "property_type": "apartment",
            "deal_type": "sale",
            "area_m2": "52.5",
            "rooms": 2,
            "floor": 5,
            "floors_total": 9,
            "building_series": "106",
            "has_documents": True,
        },
    },
    {
        "seller": "aigul",
        "category": "real_estate",
        "title": "Дом с участком в Оше, Амир-Темур",
        "price": "9500000",
        "currency": "KGS",
        "city": "Ош",
        "region": "Амир-Темур",
        "details": {
            "property_type": "house",
            "deal_type": "sale",
            "area_m2": "140",
            "rooms": 5,
            "land_area_sotka": "6",
            "has_documents": True,
        },
    },
    {
        "seller": "nurlan",
        "category": "real_estate",
        "title": "Сдаётся 1-комнатная квартира, Кок-Жар",
        "price": "28000",
        "currency": "KGS",
        "city": "Бишкек",
        "region": "Кок-Жар",
        "details": {
            "property_type": "apartment",
            "deal_type": "rent",
            "area_m2": "38",
            "rooms": 1,
            "floor": 3,
            "floors_total": 12,
            "building_series": "элитка",
        },
    },
]


def seed_listings(out: OutputWrapper) -> None:
    from listings.services.listings import listing_approve, listing_create, listing_submit
    from listings.services.media import media_add

    from ..serializers import ListingCreateSerializer

    sellers = {}
    for key, (phone, name, city) in SELLERS.items():
        sellers[key], _ = User.objects.get_or_create(
            phone=phone, defaults={"display_name": name, "city": city}
        )
    created = 0
    for index, data in enumerate(LISTINGS):
        author = sellers[data["seller"]]
        serializer = ListingCreateSerializer(data={k: v for k, v in data.items() if k != "seller"})
        serializer.is_valid(raise_exception=True)
        listing, is_new = listing_create(
            author=author, data=dict(serializer.validated_data), client_id=f"demo-{index}"
        )
        if not is_new:
            continue
        created += 1
        media_add(
            listing=listing, actor=author, kind="image", upload=demo_image(index, data["title"])
        )
        if index == 0 and (video := demo_video()) is not None:
            media_add(listing=listing, actor=author, kind="video", upload=video)
        listing_submit(listing=listing, actor=author)
        listing_approve(listing=listing, actor=None)
    out.write(f"  listings: {created} created, {len(LISTINGS) - created} existed")


# The demo seller's two listings: one live, one draft they can finish in the app.
SELLER_LISTINGS: tuple[dict[str, Any], ...] = (
    {
        "category": "car",
        "title": "Hyundai Sonata 2018, газ-бензин, из Кореи",
        "description": "Свежепригнанная, растаможена, на учёте. Торг у машины.",
        "price": "1350000",
        "currency": "KGS",
        "city": "Бишкек",
        "details": {"make": "Hyundai", "model": "Sonata", "year": 2018, "mileage_km": 121000},
    },
    {
        "category": "car",
        "title": "Daewoo Matiz 2010, на запчасти или под ремонт",
        "price": "150000",
        "currency": "KGS",
        "city": "Бишкек",
        "details": {"make": "Daewoo", "model": "Matiz", "year": 2010, "mileage_km": 240000},
    },
)
BUYER_FAVORITES = 3


def seed_demo_seller_and_buyer(out: OutputWrapper) -> None:
    """The demo seller's listings (quota left for more) and the demo buyer's favorites."""
    from accounts.demo import DEMO_BUYER_PHONE, DEMO_SELLER_PHONE
    from listings.services.engagement import favorite_add
    from listings.services.listings import listing_approve, listing_create, listing_submit
    from listings.services.media import media_add

    from ..models import Listing, Status
    from ..serializers import ListingCreateSerializer

    seller = User.objects.get(phone=DEMO_SELLER_PHONE)
    for index, data in enumerate(SELLER_LISTINGS):
        serializer = ListingCreateSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        listing, is_new = listing_create(
            author=seller, data=dict(serializer.validated_data), client_id=f"demo-seller-{index}"
        )
        if not is_new:
            continue
        media_add(
            listing=listing, actor=seller, kind="image", upload=demo_image(index, data["title"])
        )
        if index == 0:
            listing_submit(listing=listing, actor=seller)
            listing_approve(listing=listing, actor=None)
    buyer = User.objects.get(phone=DEMO_BUYER_PHONE)
    favorites = Listing.objects.filter(
        client_id__startswith="demo-catalogue-", status=Status.ACTIVE
    ).order_by("client_id")[:BUYER_FAVORITES]
    added = sum(favorite_add(user=buyer, listing=listing) for listing in favorites)
    out.write(f"  demo seller and buyer: {added} favorites added")


def listing_facts(user: User) -> str:
    """The demo table's "listings: 1 active, 1 draft; 3 favorites" for a user."""
    from django.db.models import Count

    from ..models import Favorite, Listing, Status

    rows = Listing.objects.filter(author=user).values("status").annotate(n=Count("pk"))
    by_status = {row["status"]: row["n"] for row in rows}
    facts = []
    if by_status:
        listed = ", ".join(f"{by_status[s]} {s}" for s in Status.values if s in by_status)
        facts.append(f"listings: {listed}")
    if favorites := Favorite.objects.filter(user=user).count():
        facts.append(f"{favorites} favorites")
    return "; ".join(facts)
