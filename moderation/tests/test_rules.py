"""The built-in moderation rules: each rule alone against a clean car listing."""

from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moderation.rules import REASON_CODES, VERDICTS, ListingSnapshot, evaluate

CLEAN_CAR = ListingSnapshot(
    category="car",
    title="Toyota Camry 70, 2019, full option",
    description=(
        "Один хозяин, обслуживалась у официального дилера. Пробег 84 000 км, "
        "объём 2.5, цвет гранатовый, салон бургунди. Торг уместен, обмен не интересует."
    ),
    price=Decimal("1850000"),
    currency="KGS",
    price_kgs=Decimal("1850000"),
    city="Бишкек",
    details={
        "make": "Toyota",
        "model": "Camry",
        "year": 2019,
        "mileage_km": 84000,
        "body_type": "sedan",
        "color": "Gunmetal grey",
        "customs_cleared": True,
        "damage_report": "",
    },
    seller_account_age_days=400,
    seller_active_listings=1,
    seller_rejected_listings=0,
    seller_listings_last_24h=1,
    similar_median_price_kgs=Decimal("1900000"),
    duplicate_listings=0,
)


def clean_snapshot(**changes: Any) -> ListingSnapshot:
    return replace(CLEAN_CAR, **changes)


def with_text(text: str) -> ListingSnapshot:
    return clean_snapshot(description=f"{CLEAN_CAR.description} {text}")


def test_a_clean_car_listing_is_approved_with_a_low_risk() -> None:
    verdict = evaluate(CLEAN_CAR)

    assert verdict.verdict == "approve"
    assert verdict.risk_score == 5
    assert verdict.reasons == []
    assert verdict.reason_codes == []
    assert verdict.source == "rules"


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Продам пистолет Макарова, без документов", "weapons"),
        ("ОХОТНИЧЬЕ РУЖЬЁ в подарок", "weapons"),
        ("Отдам патроны к нему", "weapons"),
        ("Мылтык сатылат, арзан", "weapons"),
        ("Ок атуучу курал бар", "weapons"),
        ("Selling a hunting rifle with ammo", "weapons"),
        ("Героин, доставка по городу", "drugs"),
        ("Баңгизат сатам", "drugs"),
        ("cocaine available", "drugs"),
        ("Сделаем поддельные документы на машину", "forged documents"),
        ("Жасалма паспорт жасайбыз", "forged documents"),
        ("Fake passport included", "forged documents"),
        ("Продаю шкуру снежного барса", "protected wildlife"),
        ("Илбирстин териси сатылат", "protected wildlife"),
        ("Golden eagle chick for sale", "protected wildlife"),
    ],
)
def test_a_prohibited_item_is_rejected(text: str, label: str) -> None:
    verdict = evaluate(with_text(text))

    assert verdict.verdict == "reject"
    assert verdict.risk_score >= 80
    assert verdict.reason_codes == ["prohibited_item"]
    assert verdict.reasons[0].startswith(f"Prohibited item ({label}:")


def test_a_prohibited_item_is_found_in_the_details_too() -> None:
    details = {**CLEAN_CAR.details, "damage_report": "В бардачке травмат, отдам вместе с машиной"}

    verdict = evaluate(clean_snapshot(details=details))

    assert verdict.verdict == "reject"
    assert "prohibited_item" in verdict.reason_codes


def test_a_horse_pedigree_is_searched_as_well() -> None:
    horse = clean_snapshot(
        category="horse",
        title="Жеребец для кок-бору",
        description="Крепкий, объезженный.",
        details={"breed": "Новокиргизская", "pedigree": "В придачу птенец беркута"},
    )

    assert evaluate(horse).verdict == "reject"


@pytest.mark.parametrize(
    "text",
    [
        "Цвет гранатовый металлик",  # pomegranate, not a grenade
        "Burgundy interior, gunmetal wheels",  # "gun" inside words
        "Пистолет для подкачки шин в подарок",  # a tyre inflator
        "Главная героиня фильма снималась в этой машине",  # not heroin
        "Forged wheels, new tyres",  # forged rims are not forged documents
        "Без предоплаты, осмотр в любое время",  # no prepayment asked: the opposite of a scam
        "Полный комплект инструмента",
    ],
)
def test_harmless_words_that_look_like_banned_ones_pass(text: str) -> None:
    assert evaluate(with_text(text)).verdict == "approve"


@pytest.mark.parametrize(
    "text",
    [
        "Без предоплаты не звонить!",
        "Только предоплата, машина в Алматы",
        "ТОЛЬКО ПО ПРЕДОПЛАТЕ",
        "Алдын ала төлөм гана",
        "Алдын ала төлөмсүз чалбаңыз",
        "Prepayment only, car is abroad",
        "Payment via Western Union",
    ],
)
def test_a_demand_for_prepayment_is_suspected_fraud(text: str) -> None:
    verdict = evaluate(with_text(text))

    assert verdict.verdict == "needs_review"
    assert verdict.risk_score == 40
    assert verdict.reason_codes == ["fraud_suspected"]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Звоните +996 700 123 456", "phone number"),
        ("Тел: +996700123456", "phone number"),
        ("996 555 123456", "phone number"),
        ("звоните 0700 123 456", "phone number"),
        ("0555 12 34 56 Азамат", "phone number"),
        ("0555-12-34-56", "phone number"),
        ("(0312) 62-12-34", "phone number"),
        ("+7 701 123 45 67 (Алматы)", "phone number"),
        ("8 701 123 45 67", "phone number"),
        ("Фото тут: https://example.kg/car", "link"),
        ("www.cars-bishkek.kg", "link"),
        ("Подробнее на t.me/camry_seller", "link"),
        ("seller@mail.ru", "link"),
        ("Пишите @camry_seller", "@handle"),
        ("Пишите в WhatsApp", "messenger"),
        ("пишите на ватсап", "messenger"),
        ("Ватсапка жазыңыз", "messenger"),
        ("Телеграмм: камри", "messenger"),
        ("Contact me on Telegram", "messenger"),
    ],
)
def test_contact_details_in_the_text_need_review(text: str, kind: str) -> None:
    verdict = evaluate(with_text(text))

    assert verdict.verdict == "needs_review"
    assert verdict.reason_codes == ["contact_in_text"]
    assert kind in verdict.reasons[0]


def test_contacts_in_the_title_count_too() -> None:
    verdict = evaluate(clean_snapshot(title="Camry 70, звоните 0700123456"))

    assert verdict.reason_codes == ["contact_in_text"]


def test_the_place_fields_are_read_as_the_buyer_reads_them() -> None:
    verdict = evaluate(
        clean_snapshot(
            city="ПРЕДОПЛАТА на карту 4169 WhatsApp +996555123456", region="t.me/scam_kg"
        )
    )

    assert verdict.verdict == "needs_review"
    assert verdict.reason_codes == ["fraud_suspected", "contact_in_text"]


@pytest.mark.parametrize(
    "text",
    [
        "Цена 1 850 000 сом, торг",
        "Пробег 120 000 км, год 2015, объём 2.4, VIN по запросу",
        "Цена 10 000 000 000 сом",
        "Т.е. машина на ходу, г.Бишкек, ул.Токтогула 1",
    ],
)
def test_numbers_and_abbreviations_are_not_contacts(text: str) -> None:
    assert evaluate(with_text(text)).verdict == "approve"


@pytest.mark.parametrize(
    ("price_kgs", "codes", "risk"),
    [
        (Decimal("700000"), ["wrong_price", "fraud_suspected"], 40),  # 35% of the median
        (Decimal("799999"), ["wrong_price", "fraud_suspected"], 40),
        (Decimal("800000"), [], 5),  # exactly 40%
        (Decimal("6000000"), [], 5),  # exactly 300%
        (Decimal("6000001"), ["wrong_price"], 30),
    ],
)
def test_a_price_far_from_the_median_of_similar_listings(
    price_kgs: Decimal, codes: list[str], risk: int
) -> None:
    verdict = evaluate(
        clean_snapshot(price_kgs=price_kgs, similar_median_price_kgs=Decimal("2000000"))
    )

    assert verdict.reason_codes == codes
    assert verdict.risk_score == risk
    assert verdict.verdict == ("needs_review" if codes else "approve")


def test_without_a_median_the_price_is_not_judged() -> None:
    verdict = evaluate(clean_snapshot(price_kgs=Decimal("1000"), similar_median_price_kgs=None))

    assert verdict.verdict == "approve"


def test_a_duplicate_listing_needs_review() -> None:
    verdict = evaluate(clean_snapshot(duplicate_listings=2))

    assert verdict.verdict == "needs_review"
    assert verdict.reason_codes == ["duplicate"]
    assert verdict.reasons == ["Same title and description as 2 other active or pending listings"]


@pytest.mark.parametrize(
    ("age_days", "last_24h", "flagged"),
    [(0, 4, True), (1, 9, True), (1, 3, False), (2, 4, False)],
)
def test_a_brand_new_seller_posting_many_listings(
    age_days: int, last_24h: int, flagged: bool
) -> None:
    verdict = evaluate(
        clean_snapshot(seller_account_age_days=age_days, seller_listings_last_24h=last_24h)
    )

    assert (verdict.reason_codes == ["fraud_suspected"]) is flagged
    assert verdict.verdict == ("needs_review" if flagged else "approve")


def test_a_seller_with_many_rejected_listings_adds_risk_without_a_code() -> None:
    assert evaluate(clean_snapshot(seller_rejected_listings=2)).verdict == "approve"

    verdict = evaluate(clean_snapshot(seller_rejected_listings=3))

    assert verdict.verdict == "needs_review"
    assert verdict.risk_score == 20
    assert verdict.reasons == ["Seller has 3 rejected listings"]
    assert verdict.reason_codes == []


def test_findings_add_up_and_the_risk_is_clamped_at_100() -> None:
    snapshot = clean_snapshot(
        title="Пистолет, звоните 0700 123 456",
        description="Только предоплата",
        price_kgs=Decimal("100000"),
        duplicate_listings=1,
        seller_account_age_days=0,
        seller_listings_last_24h=5,
    )

    verdict = evaluate(snapshot)

    assert verdict.verdict == "reject"
    assert verdict.risk_score == 100
    assert verdict.reason_codes == [
        "prohibited_item",
        "fraud_suspected",
        "contact_in_text",
        "wrong_price",
        "duplicate",
    ]
    assert len(verdict.reasons) == 6


@settings(max_examples=60, deadline=None)
@given(
    text=st.text(max_size=200),
    price=st.decimals(min_value=1, max_value=10**9, places=2),
    median=st.none() | st.decimals(min_value=0, max_value=10**9, places=2),
    duplicates=st.integers(0, 5),
    age=st.integers(0, 1000),
    last_24h=st.integers(0, 50),
    rejected=st.integers(0, 20),
)
def test_any_listing_gets_a_well_formed_verdict(
    text: str,
    price: Decimal,
    median: Decimal | None,
    duplicates: int,
    age: int,
    last_24h: int,
    rejected: int,
) -> None:
    verdict = evaluate(
        clean_snapshot(
            description=text,
            price_kgs=price,
            similar_median_price_kgs=median,
            duplicate_listings=duplicates,
            seller_account_age_days=age,
            seller_listings_last_24h=last_24h,
            seller_rejected_listings=rejected,
        )
    )

    assert verdict.verdict in VERDICTS
    assert 0 <= verdict.risk_score <= 100
    assert set(verdict.reason_codes) <= set(REASON_CODES)
    assert len(verdict.reason_codes) == len(set(verdict.reason_codes))
    assert (verdict.verdict == "approve") == (verdict.reasons == [])


def test_a_title_deed_called_the_red_book_is_not_an_endangered_animal() -> None:
    flat = clean_snapshot(
        category="real_estate",
        title="2-комнатная квартира, 106 серия",
        description="Документы в порядке, есть красная книга.",
        details={"property_type": "apartment", "deal_type": "sale", "rooms": 2},
    )
    horse = clean_snapshot(
        category="horse",
        title="Жеребец",
        description="В придачу птица из Красной книги.",
        details={"breed": "Новокиргизская"},
    )

    assert "prohibited_item" not in evaluate(flat).reason_codes
    assert evaluate(horse).reason_codes == ["prohibited_item"]
    assert evaluate(horse).reasons[0].startswith("Prohibited item (protected wildlife:")
