"""Demo listings of the demo businesses (business/demo.py) for `seed_demo`: the Bishkek
dealer's cars and the Osh agency's flats and houses, posted by their admins and sellers.
Idempotent: every listing has a fixed client id."""

from typing import Any

from django.core.management.base import OutputWrapper

from business.demo import BUSINESSES, demo_slug

DEALER, AGENCY = (demo_slug(entry[0]) for entry in BUSINESSES)

# (business slug, poster: "admin" or "seller", listing)
LISTINGS: list[tuple[str, str, dict[str, Any]]] = [
    (
        DEALER,
        "admin",
        {
            "category": "car",
            "title": "Hyundai Sonata 2020, из Кореи, на гарантии",
            "price": "1890000",
            "currency": "KGS",
            "city": "Бишкек",
            "details": {
                "make": "Hyundai",
                "model": "Sonata",
                "year": 2020,
                "mileage_km": 46000,
                "fuel": "gas",
                "transmission": "automatic",
                "body_type": "sedan",
            },
        },
    ),
    (
        DEALER,
        "seller",
        {
            "category": "car",
            "title": "Toyota Land Cruiser Prado 150, 2017",
            "price": "41000",
            "currency": "USD",
            "city": "Бишкек",
            "details": {
                "make": "Toyota",
                "model": "Land Cruiser Prado",
                "year": 2017,
                "mileage_km": 98000,
                "fuel": "diesel",
                "transmission": "automatic",
                "body_type": "suv",
                "drive": "awd",
            },
        },
    ),
    (
        DEALER,
        "seller",
        {
            "category": "car",
            "title": "Kia K5 2021, проверена по VIN",
            "price": "2100000",
            "currency": "KGS",
            "city": "Бишкек",
            "details": {"make": "Kia", "model": "K5", "year": 2021, "mileage_km": 31000},
        },
    ),
    (
        AGENCY,
        "admin",
        {
            "category": "real_estate",
            "title": "3-комнатная квартира в центре Оша",
            "price": "72000",
            "currency": "USD",
            "city": "Ош",
            "region": "Центр",
            "details": {
                "property_type": "apartment",
                "deal_type": "sale",
                "area_m2": "78",
                "rooms": 3,
                "floor": 4,
                "floors_total": 5,
                "has_documents": True,
            },
        },
    ),
    (
        AGENCY,
        "seller",
        {
            "category": "real_estate",
            "title": "Участок 8 соток, Ноокат, под строительство",
            "price": "1500000",
            "currency": "KGS",
            "city": "Ноокат",
            "region": "Ошская область",
            "details": {
                "property_type": "land",
                "deal_type": "sale",
                "area_m2": "800",
                "land_area_sotka": "8",
            },
        },
    ),
]


def seed_business_listings(out: OutputWrapper) -> None:
    from business.models import Business, MemberRole

    from ..serializers import ListingCreateSerializer
    from ..services.listings import listing_approve, listing_create, listing_submit
    from ..services.media import media_add
    from .media import demo_image

    created = 0
    for index, (slug, poster, data) in enumerate(LISTINGS):
        business = Business.objects.filter(slug=slug).first()
        if business is None:
            continue
        role = MemberRole.ADMIN if poster == "admin" else MemberRole.SELLER
        membership = business.memberships.filter(role=role).select_related("user").first()
        if membership is None:
            continue
        serializer = ListingCreateSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        author = membership.user
        listing, is_new = listing_create(
            author=author,
            data=dict(serializer.validated_data),
            business=business,
            client_id=f"demo-business-{index}",
        )
        if not is_new:
            continue
        created += 1
        media_add(
            listing=listing, actor=author, kind="image", upload=demo_image(index + 3, data["title"])
        )
        listing_submit(listing=listing, actor=author)
        listing_approve(listing=listing, actor=None)
    out.write(f"  business listings: {created} created, {len(LISTINGS) - created} existed")
