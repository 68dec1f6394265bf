"""`GET /reference/`: every choice list and the suggestion lists, in the caller's language."""

from typing import Any

import pytest
from django.db.models import Choices
from django.utils import translation
from rest_framework.test import APIClient

from listings import reference
from listings.models import (
    CarBody,
    Category,
    Condition,
    Currency,
    DealType,
    Drive,
    Fuel,
    HorsePurpose,
    HorseSex,
    MediaKind,
    PropertyType,
    ReportReason,
    Status,
    Steering,
    Transmission,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/reference/"

CHOICE_LISTS: list[tuple[tuple[str, ...], type[Choices]]] = [
    (("categories",), Category),
    (("statuses",), Status),
    (("currencies",), Currency),
    (("car", "body_types"), CarBody),
    (("car", "fuels"), Fuel),
    (("car", "transmissions"), Transmission),
    (("car", "drives"), Drive),
    (("car", "steering"), Steering),
    (("car", "conditions"), Condition),
    (("horse", "sexes"), HorseSex),
    (("horse", "purposes"), HorsePurpose),
    (("real_estate", "property_types"), PropertyType),
    (("real_estate", "deal_types"), DealType),
    (("media_kinds",), MediaKind),
    (("report_reasons",), ReportReason),
]


def get(language: str | None = None, **headers: Any) -> Any:
    if language is not None:
        headers["HTTP_ACCEPT_LANGUAGE"] = language
    return APIClient().get(URL, **headers)


def at(body: dict[str, Any], path: tuple[str, ...]) -> Any:
    for key in path:
        body = body[key]
    return body


def labels(items: list[dict[str, str]]) -> dict[str, str]:
    return {item["value"]: item["label"] for item in items}


def test_anyone_may_read_it_and_shared_caches_may_keep_it_per_language() -> None:
    response = get("ky")

    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=3600"
    assert "accept-language" in response["Vary"].lower()
    assert response["Content-Language"] == "ky"


def test_a_stale_token_does_not_turn_it_into_a_401() -> None:
    assert get(HTTP_AUTHORIZATION="Bearer not-a-token").status_code == 200


@pytest.mark.parametrize("language", ["ru", "ky", "en"])
def test_every_choice_list_has_every_value_with_its_label_in_the_language(language: str) -> None:
    body = get(language).json()

    for path, choices in CHOICE_LISTS:
        items = at(body, path)
        assert [item["value"] for item in items] == list(choices.values), path
        with translation.override(language):
            expected = [str(label) for label in choices.labels]
        assert [item["label"] for item in items] == expected, path


@pytest.mark.parametrize(
    ("language", "car", "spam", "kok_boru"),
    [
        ("ru", "Автомобиль", "Спам", "Кок-бору"),
        ("ky", "Унаа", "Спам", "Көк бөрү"),
        ("en", "Car", "Spam", "Kok-boru"),
    ],
)
def test_choice_labels_are_translated(language: str, car: str, spam: str, kok_boru: str) -> None:
    body = get(language).json()

    assert labels(body["categories"])["car"] == car
    assert labels(body["report_reasons"])["spam"] == spam
    assert labels(body["horse"]["purposes"])["kok_boru"] == kok_boru


@pytest.mark.parametrize("language", ["ru", "ky"])
def test_no_choice_label_is_left_in_english(language: str) -> None:
    translated, english = get(language).json(), get("en").json()

    for path, _choices in CHOICE_LISTS:
        if path == ("currencies",):
            continue  # currency codes are the same in every language
        for mine, theirs in zip(at(translated, path), at(english, path), strict=True):
            assert mine["label"] != theirs["label"], (path, mine)


def test_russian_is_the_default_language() -> None:
    assert labels(get().json()["categories"])["horse"] == "Лошадь"


@pytest.mark.parametrize(
    ("language", "region", "city", "breed", "series"),
    [
        ("ru", "Чуйская область", "Кара-Балта", "Кыргызская", "Индивидуальный проект"),
        ("ky", "Чүй облусу", "Кара-Балта", "Кыргыз тукуму", "Жеке долбоор"),
        ("en", "Chuy Region", "Kara-Balta", "Kyrgyz", "Custom design"),
    ],
)
def test_suggestions_have_labels_in_every_language(
    language: str, region: str, city: str, breed: str, series: str
) -> None:
    body = get(language).json()

    chuy = next(item for item in body["regions"] if item["value"] == "chuy")
    assert chuy["label"] == region
    assert labels(chuy["cities"])["kara_balta"] == city
    assert labels(body["horse"]["breeds"])["kyrgyz_native"] == breed
    assert labels(body["real_estate"]["building_series"])["individual"] == series


def test_suggestion_values_do_not_change_with_the_language() -> None:
    def values(body: dict[str, Any]) -> Any:
        return (
            [(r["value"], [c["value"] for c in r["cities"]]) for r in body["regions"]],
            [b["value"] for b in body["horse"]["breeds"]],
            [s["value"] for s in body["real_estate"]["building_series"]],
            [(m["value"], [x["value"] for x in m["models"]]) for m in body["car"]["makes"]],
        )

    assert values(get("ru").json()) == values(get("ky").json()) == values(get("en").json())


def test_the_suggestion_lists_cover_the_market() -> None:
    body = get("en").json()

    makes = {make["value"]: labels(make["models"]) for make in body["car"]["makes"]}
    assert makes["Toyota"]["Land Cruiser Prado"] == "Land Cruiser Prado"
    assert "2107" in makes["Lada"]
    assert set(makes["Tesla"]) == {"Model 3", "Model Y"}
    assert len(makes) == len(reference.CAR_MAKES) == 19
    assert {"kyrgyz_native", "novokirgiz", "akhal_teke", "thoroughbred"} <= set(
        labels(body["horse"]["breeds"])
    )
    regions = {region["value"]: labels(region["cities"]) for region in body["regions"]}
    assert len(regions) == 9  # seven oblasts, Bishkek and Osh
    assert regions["bishkek"] == {"bishkek": "Bishkek"}
    assert set(regions["jalal_abad"]) == {"jalal_abad", "kara_kul", "mailuu_suu", "tash_kumyr"}
    assert set(labels(body["real_estate"]["building_series"])) == {
        "104",
        "105",
        "106",
        "107",
        "khrushchevka",
        "stalinka",
        "individual",
        "elite",
    }


def test_every_item_is_a_value_and_a_label() -> None:
    body = get("ru").json()

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                assert isinstance(item["value"], str)
                assert item["value"]
                assert isinstance(item["label"], str)
                assert item["label"]
                for nested in set(item) - {"value", "label"}:
                    walk(item[nested])
        else:
            for value in node.values():
                walk(value)

    walk(body)
