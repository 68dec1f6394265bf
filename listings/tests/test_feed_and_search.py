"""The feed and search: order, cursors that stand still, every filter, text search."""

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from listings.feed import Cursor, cards_by_id
from listings.models import Listing
from listings.tests.conftest import CAR, ESTATE, HORSE, client_for
from listings.tests.factories import ListingFactory
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def make(
    payload: dict[str, Any] | None = None,
    *,
    age: int = 0,
    boosted: bool = False,
    status: str = "active",
    **changes: Any,
) -> Listing:
    """An active listing published `age` minutes ago (boosted from an hour ago if asked)."""
    listing = ListingFactory(
        category=(payload or CAR)["category"],
        status=status,
        published_at=NOW - timedelta(minutes=age),
        **changes,
    )
    if boosted:
        Listing.objects.filter(pk=listing.pk).update(
            boost_started_at=NOW - timedelta(hours=1), boosted_until=NOW + timedelta(days=3)
        )
        listing.refresh_from_db()
    return listing


def ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [card["id"] for card in response.json()["results"]]


def get(path: str, user: Any = None, **params: Any) -> Any:
    return client_for(user).get(path, params)


def walk(path: str, **params: Any) -> list[str]:
    """Every card id of every page, following `next`."""
    seen: list[str] = []
    response = get(path, **params)
    while True:
        seen += ids(response)
        nxt = response.json()["next"]
        if nxt is None:
            return seen
        response = client_for().get(nxt)


# --- Feed ---------------------------------------------------------------------------------------


def test_boosted_first_then_newest(settings: Any) -> None:
    old, new = make(age=30), make(age=5)
    old_boost, new_boost = make(age=40, boosted=True), make(age=20, boosted=True)
    make(age=1, status="pending_review")
    expired = make(age=2)
    Listing.objects.filter(pk=expired.pk).update(
        boost_started_at=NOW - timedelta(days=3), boosted_until=NOW - timedelta(minutes=1)
    )

    order = ids(get("/api/v1/listings/feed/"))

    assert order == [str(x.pk) for x in (new_boost, old_boost, expired, new, old)]


def test_feed_cards_have_everything_a_full_screen_card_needs() -> None:
    make(boosted=True)

    card = get("/api/v1/listings/feed/").json()["results"][0]

    assert set(card) == {
        "id", "category", "title", "price", "currency", "prices", "is_negotiable", "city",
        "region", "cover", "key_details", "seller", "is_boosted", "views_count",
        "favorites_count", "is_favorited", "published_at",
    }  # fmt: skip
    assert card["is_boosted"] is True
    assert card["key_details"] == {
        "make": "Toyota",
        "model": "Camry",
        "year": 2019,
        "mileage_km": 84000,
    }
    assert card["cover"]["image_url"].startswith("http://testserver/media/listings/")


@pytest.mark.parametrize(("payload", "key_details"), [
    (HORSE, {"breed", "sex", "age"}),
    (ESTATE, {"property_type", "deal_type", "rooms", "area_m2"}),
])  # fmt: skip
def test_key_details_by_category(payload: dict, key_details: set[str]) -> None:
    make(payload)

    assert set(get("/api/v1/listings/feed/").json()["results"][0]["key_details"]) == key_details


def test_feed_by_category() -> None:
    car, horse = make(CAR), make(HORSE)

    assert ids(get("/api/v1/listings/feed/", category="horse")) == [str(horse.pk)]
    assert ids(get("/api/v1/listings/feed/", category="car")) == [str(car.pk)]
    assert_error(get("/api/v1/listings/feed/", category="boat"), 400, "invalid")


def test_paging_visits_every_card_once_across_the_boosted_border() -> None:
    listings = [make(age=i, boosted=i % 4 == 0) for i in range(11)]

    seen = walk("/api/v1/listings/feed/", page_size=3)

    assert sorted(seen) == sorted(str(x.pk) for x in listings)
    assert len(seen) == len(set(seen))


def test_the_cursor_pins_the_scroll_while_the_catalogue_moves() -> None:
    listings = [make(age=10 + i, boosted=i < 2) for i in range(8)]
    first = get("/api/v1/listings/feed/", page_size=3)
    seen = ids(first)
    # Between pages: a listing is published, one gets boosted, a boost ends.
    make(age=0)
    make(age=0, boosted=True)
    Listing.objects.filter(pk=listings[6].pk).update(
        boost_started_at=timezone.now(), boosted_until=timezone.now() + timedelta(days=1)
    )
    Listing.objects.filter(pk=listings[0].pk).update(boosted_until=timezone.now())
    response = client_for().get(first.json()["next"])
    while True:
        seen += ids(response)
        if response.json()["next"] is None:
            break
        response = client_for().get(response.json()["next"])

    assert len(seen) == len(set(seen)) == 8
    assert set(seen) == {str(x.pk) for x in listings}


def test_page_size_defaults_to_20_and_is_capped_at_50() -> None:
    Listing.objects.bulk_create([])  # nothing: sizes are checked on an empty catalogue too
    for _ in range(3):
        make()

    assert len(ids(get("/api/v1/listings/feed/", page_size=500))) == 3
    assert len(ids(get("/api/v1/listings/feed/", page_size=2))) == 2


PINNED = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    "cursor",
    ["garbage", "eyJwaW4iOjF9", Cursor(PINNED, "nowhere").encode()],
    ids=["garbage", "no-fields", "unknown-part"],
)
def test_a_broken_cursor_is_a_400(cursor: str) -> None:
    response = get("/api/v1/listings/feed/", cursor=cursor)

    assert_error(response, 400, "invalid")


@pytest.mark.parametrize("size", [1, 50])
def test_feed_and_search_cost_a_fixed_number_of_queries(
    size: int, django_assert_max_num_queries: Any
) -> None:
    for age in range(6):
        make(age=age, boosted=age == 3)
    user = UserFactory()
    client = client_for(user)
    from accounts.tokens import issue_tokens

    client.force_authenticate(None)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_tokens(user)['access']}")

    # The feed: the boosted and the other cards' keys, then the cards by id.
    with django_assert_max_num_queries(5):
        client.get("/api/v1/listings/feed/", {"page_size": size})
    with django_assert_max_num_queries(4):
        client.get("/api/v1/listings/", {"page_size": size, "make": "toyota"})
    with django_assert_max_num_queries(4):
        client.get("/api/v1/listings/", {"page_size": size, "q": "camry"})


# --- Search -------------------------------------------------------------------------------------


def test_search_lists_active_listings_newest_first() -> None:
    old, new = make(age=10), make(age=1)
    make(status="draft")

    assert ids(get("/api/v1/listings/")) == [str(new.pk), str(old.pk)]


def test_text_filters_are_case_insensitive_and_repeatable() -> None:
    toyota = make()
    honda = make(details={"make": "Honda", "model": "Fit", "year": 2012, "mileage_km": 1})
    make(details={"make": "Lexus", "model": "RX", "year": 2016, "mileage_km": 1})

    assert set(ids(get("/api/v1/listings/", make="toyota"))) == {str(toyota.pk)}
    both = client_for().get("/api/v1/listings/?make=TOYOTA&make=honda")
    assert set(ids(both)) == {str(toyota.pk), str(honda.pk)}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"category": "horse"}, "horse"),
        ({"city": "нарын"}, "horse"),
        ({"region": "Чуйская область"}, "car"),
        ({"model": "camry"}, "car"),
        ({"year_min": 2019, "year_max": 2019}, "car"),
        ({"mileage_max": 90000}, "car"),
        ({"fuel": "petrol"}, "car_full"),
        ({"transmission": "automatic"}, "car_full"),
        ({"body_type": "sedan"}, "car_full"),
        ({"breed": "новокиргизская"}, "horse"),
        ({"sex": "stallion"}, "horse"),
        ({"purpose": "kok_boru"}, "horse"),
        ({"property_type": "apartment"}, "estate"),
        ({"deal_type": "sale"}, "estate"),
        ({"rooms": 2}, "estate"),
        ({"area_min": 50, "area_max": 60}, "estate"),
        ({"price_min": 300000, "price_max": 400000, "currency": "KGS"}, "horse"),
    ],
)
def test_each_filter(params: dict[str, Any], expected: str) -> None:
    made = {
        "car": make(CAR),
        "car_full": make(
            CAR,
            details={
                **CAR["details"],
                "fuel": "petrol",
                "transmission": "automatic",
                "body_type": "sedan",
            },
            title="Camry with every option",
        ),
        "horse": make(HORSE, details={**HORSE["details"], "purpose": "kok_boru"}),
        "estate": make(ESTATE),
    }

    found = set(ids(get("/api/v1/listings/", **params)))

    expected_ids = {str(made[expected].pk)}
    if expected == "car":  # the fully described car matches every plain car filter too
        expected_ids.add(str(made["car_full"].pk))
    assert found == expected_ids


def test_filters_combine() -> None:
    target = make(city="Ош")
    make(city="Бишкек")
    make(HORSE, city="Ош")

    assert ids(get("/api/v1/listings/", city="ош", make="Toyota")) == [str(target.pk)]


def test_a_price_range_in_one_currency_finds_listings_priced_in_another() -> None:
    usd = make(ESTATE)  # 68,000 USD ≈ 5,946,600 KGS

    in_kgs = ids(get("/api/v1/listings/", price_min=5_900_000, price_max=6_000_000, currency="KGS"))
    below = ids(get("/api/v1/listings/", price_max=5_000_000, currency="KGS"))

    assert in_kgs == [str(usd.pk)]
    assert below == []


def test_ordering_by_price_compares_like_with_like() -> None:
    cheap_usd = make(ESTATE, price="1000")  # 87,450 KGS
    dear_kgs = make(CAR, price="100000")  # 100,000 KGS
    mid_kzt = make(HORSE, price="540000", currency="KZT")  # 91,800 KGS

    ascending = walk("/api/v1/listings/", ordering="price", currency="KGS", page_size=1)
    descending = ids(get("/api/v1/listings/", ordering="-price"))

    assert ascending == [str(x.pk) for x in (cheap_usd, mid_kzt, dear_kgs)]
    assert descending == list(reversed(ascending))


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"year_min": 2020, "year_max": 2010}, "year_min"),
        ({"price_min": 10, "price_max": 5}, "price_min"),
        ({"area_min": 90, "area_max": 10}, "area_min"),
        ({"price_min": -1}, "price_min"),
        ({"fuel": "steam"}, "fuel"),
        ({"category": "boat"}, "category"),
        ({"ordering": "views"}, "ordering"),
        ({"currency": "EUR"}, "currency"),
        ({"rooms": "many"}, "rooms"),
        ({"business": "not-a-uuid"}, "business"),
    ],
)
def test_impossible_filters_are_400_not_an_empty_page(params: dict, field: str) -> None:
    error = assert_error(get("/api/v1/listings/", **params), 400, "invalid")

    assert any(name.split(".")[0] == field for name in error["fields"])


# --- Text search --------------------------------------------------------------------------------


def test_a_title_match_outranks_a_description_match() -> None:
    in_description = make(title="Продаю седан недорого", description="Отличная Тойота, один хозяин")
    in_title = make(title="Тойота в отличном состоянии", description="Седан, один хозяин")

    assert ids(get("/api/v1/listings/", q="тойота")) == [str(in_title.pk), str(in_description.pk)]


def test_cyrillic_and_latin_words_are_stemmed_and_the_last_word_is_a_prefix() -> None:
    apartment = make(ESTATE, title="Продаётся квартира в центре")
    car = make(CAR, title="Toyota Camry, one owner")

    assert ids(get("/api/v1/listings/", q="квартиры")) == [str(apartment.pk)]
    assert ids(get("/api/v1/listings/", q="toyota cam")) == [str(car.pk)]
    assert ids(get("/api/v1/listings/", q="кварт")) == [str(apartment.pk)]


def test_details_are_searchable() -> None:
    car = make(CAR, title="Семейный автомобиль", description="")

    assert ids(get("/api/v1/listings/", q="camry")) == [str(car.pk)]


def test_a_typo_falls_back_to_similar_titles() -> None:
    target = make(CAR, title="Mercedes-Benz E-Class 2015")
    make(CAR, title="Honda Fit 2012")

    assert ids(get("/api/v1/listings/", q="Mersedes")) == [str(target.pk)]


def test_text_search_pages_by_relevance_without_repeats() -> None:
    listings = [make(title=f"Toyota number {i}", age=i) for i in range(5)]

    seen = walk("/api/v1/listings/", q="toyota", page_size=2)

    assert sorted(seen) == sorted(str(x.pk) for x in listings)


def test_the_embedded_database_searches_with_a_plain_match(monkeypatch: Any) -> None:
    from listings import feed

    target = make(title="Lexus RX 350, идеальное состояние")
    make(title="Honda Fit")

    class SQLite:
        vendor = "sqlite"

    monkeypatch.setattr(feed, "connection", SQLite())

    assert ids(get("/api/v1/listings/", q="lexus")) == [str(target.pk)]


def test_next_links_keep_the_filters() -> None:
    for i in range(3):
        make(age=i)

    next_url = get("/api/v1/listings/", make="toyota", page_size=1).json()["next"]

    assert parse_qs(urlparse(next_url).query)["make"] == ["toyota"]


def test_hyphenated_and_abbreviated_words_are_split_like_the_index_splits_them() -> None:
    horse = make(HORSE, title="Айгыр для кок-бору")
    flat = make(ESTATE, title="2-комн. квартира, 106 серия")

    assert ids(get("/api/v1/listings/", q="кок-бору")) == [str(horse.pk)]
    assert ids(get("/api/v1/listings/", q="2-комн. квартира")) == [str(flat.pk)]


def test_long_queries_that_match_nothing_do_not_fall_back_to_similar_titles() -> None:
    make(CAR, title="Mercedes-Benz E-Class 2015")

    assert ids(get("/api/v1/listings/", q="Mersedes")) != []
    assert ids(get("/api/v1/listings/", q="Mersedes benz eclass twentyfifteen")) == []


def test_a_card_is_read_only_while_its_listing_is_active() -> None:
    shown, archived = make(age=1), make(age=2)
    Listing.objects.filter(pk=archived.pk).update(status="archived")

    # As between the feed's keys and its cards: the archived one is not a card any more.
    assert set(cards_by_id([shown.pk, archived.pk], viewer=None)) == {shown.pk}
