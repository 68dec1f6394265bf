"""The reference data the app builds its pickers from: every choice list, localized, and
suggestion lists for the free-text fields.

Choice lists come from the model choice classes, their labels translated through the
catalogs (`locale/`). Suggestions are data kept here, with their labels in every language
side by side. Each item is `{value, label}`: the app sends `value` (stable, never
translated) and shows `label` in the user's language; the free-text fields (`make`, `model`,
`breed`, `city`, `region`, `building_series`) accept these values but also any other text,
which the app then shows as typed. Car makes and models are brand names: value and label are
the same in every language.
"""

import re
from collections.abc import Iterable
from functools import cache
from typing import Any, TypedDict

from django.db.models import Choices
from django.utils import translation

from .models import (
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

LANGUAGES = ("ru", "ky", "en")
DEFAULT_LANGUAGE = "ru"

# A label in each language: ru, ky, en.
Labels = tuple[str, str, str]


class Item(TypedDict):
    value: str
    label: str


# --- Car makes and models sold in Kyrgyzstan ----------------------------------------------------

CAR_MAKES: dict[str, tuple[str, ...]] = {
    "Toyota": (
        "Camry",
        "Corolla",
        "Land Cruiser",
        "Land Cruiser Prado",
        "RAV4",
        "Alphard",
        "Ipsum",
        "Estima",
        "Highlander",
    ),
    "Lexus": ("RX", "LX", "GX", "ES"),
    "Honda": ("Fit", "Odyssey", "CR-V", "Stepwgn", "Accord"),
    "Mercedes-Benz": ("E-Class", "S-Class", "C-Class", "G-Class", "Sprinter"),
    "BMW": ("5 Series", "7 Series", "X5"),
    "Hyundai": ("Sonata", "Tucson", "Santa Fe", "Solaris", "Porter"),
    "Kia": ("K5", "Sportage", "Sorento", "Rio"),
    "Volkswagen": ("Passat", "Golf", "Touareg"),
    "Audi": ("A6", "Q7"),
    "Subaru": ("Outback", "Forester", "Legacy"),
    "Mitsubishi": ("Pajero", "Delica", "Outlander"),
    "Nissan": ("X-Trail", "Patrol", "Teana"),
    "Chevrolet": ("Cobalt", "Nexia", "Malibu", "Spark"),
    "Daewoo": ("Matiz", "Nexia"),
    "Lada": ("Granta", "Vesta", "Niva", "2107"),
    "BYD": ("Song Plus", "Han"),
    "Zeekr": ("001",),
    "Li Auto": ("L7", "L9"),
    "Tesla": ("Model 3", "Model Y"),
}

# --- Horse breeds, the Kyrgyz ones first --------------------------------------------------------

HORSE_BREEDS: tuple[tuple[str, Labels], ...] = (
    ("kyrgyz_native", ("Кыргызская", "Кыргыз тукуму", "Kyrgyz")),
    ("novokirgiz", ("Новокиргизская", "Жаңы кыргыз тукуму", "Novokirgiz")),
    ("don", ("Донская", "Дон тукуму", "Don")),
    ("akhal_teke", ("Ахалтекинская", "Ахалтеке тукуму", "Akhal-Teke")),
    ("arabian", ("Арабская", "Араб тукуму", "Arabian")),
    ("karabair", ("Карабаирская", "Карабаир тукуму", "Karabair")),
    ("orlov_trotter", ("Орловский рысак", "Орлов рысагы", "Orlov Trotter")),
    ("kustanai", ("Кустанайская", "Кустанай тукуму", "Kustanai")),
    ("tori", ("Торийская", "Тори тукуму", "Tori")),
    ("thoroughbred", ("Английская чистокровная", "Англис таза кандуу тукуму", "Thoroughbred")),
)

# --- Regions and their cities -------------------------------------------------------------------
# Bishkek and Osh are cities of republican significance: regions of their own.

REGIONS: tuple[tuple[str, Labels, tuple[tuple[str, Labels], ...]], ...] = (
    ("bishkek", ("Бишкек", "Бишкек", "Bishkek"), (("bishkek", ("Бишкек", "Бишкек", "Bishkek")),)),
    ("osh", ("Ош", "Ош", "Osh"), (("osh", ("Ош", "Ош", "Osh")),)),
    (
        "chuy",
        ("Чуйская область", "Чүй облусу", "Chuy Region"),
        (
            ("tokmok", ("Токмок", "Токмок", "Tokmok")),
            ("kara_balta", ("Кара-Балта", "Кара-Балта", "Kara-Balta")),
            ("kant", ("Кант", "Кант", "Kant")),
        ),
    ),
    (
        "issyk_kul",
        ("Иссык-Кульская область", "Ысык-Көл облусу", "Issyk-Kul Region"),
        (
            ("karakol", ("Каракол", "Каракол", "Karakol")),
            ("balykchy", ("Балыкчы", "Балыкчы", "Balykchy")),
            ("cholpon_ata", ("Чолпон-Ата", "Чолпон-Ата", "Cholpon-Ata")),
        ),
    ),
    (
        "naryn",
        ("Нарынская область", "Нарын облусу", "Naryn Region"),
        (
            ("naryn", ("Нарын", "Нарын", "Naryn")),
            ("kochkor", ("Кочкор", "Кочкор", "Kochkor")),
        ),
    ),
    (
        "talas",
        ("Таласская область", "Талас облусу", "Talas Region"),
        (("talas", ("Талас", "Талас", "Talas")),),
    ),
    (
        "jalal_abad",
        ("Джалал-Абадская область", "Жалал-Абад облусу", "Jalal-Abad Region"),
        (
            ("jalal_abad", ("Джалал-Абад", "Жалал-Абад", "Jalal-Abad")),
            ("kara_kul", ("Кара-Куль", "Кара-Көл", "Kara-Kul")),
            ("mailuu_suu", ("Майлуу-Суу", "Майлуу-Суу", "Mailuu-Suu")),
            ("tash_kumyr", ("Таш-Кумыр", "Таш-Көмүр", "Tash-Kumyr")),
        ),
    ),
    (
        "osh_region",
        ("Ошская область", "Ош облусу", "Osh Region"),
        (
            ("uzgen", ("Узген", "Өзгөн", "Uzgen")),
            ("kara_suu", ("Кара-Суу", "Кара-Суу", "Kara-Suu")),
            ("nookat", ("Ноокат", "Ноокат", "Nookat")),
        ),
    ),
    (
        "batken",
        ("Баткенская область", "Баткен облусу", "Batken Region"),
        (
            ("batken", ("Баткен", "Баткен", "Batken")),
            ("sulukta", ("Сулюкта", "Сүлүктү", "Sulukta")),
            ("kyzyl_kiya", ("Кызыл-Кия", "Кызыл-Кыя", "Kyzyl-Kiya")),
        ),
    ),
)

# Where each city is (its centre, in degrees): a listing's map point is checked against it.
CITY_CENTRES: dict[str, tuple[float, float]] = {
    "bishkek": (42.8746, 74.5698),
    "osh": (40.5283, 72.7985),
    "tokmok": (42.8419, 75.3015),
    "kara_balta": (42.8142, 73.8481),
    "kant": (42.8911, 74.8508),
    "karakol": (42.4907, 78.3936),
    "balykchy": (42.4603, 76.1870),
    "cholpon_ata": (42.6496, 77.0821),
    "naryn": (41.4287, 75.9911),
    "kochkor": (42.2155, 75.7554),
    "talas": (42.5228, 72.2427),
    "jalal_abad": (40.9333, 72.9815),
    "kara_kul": (41.6267, 72.6741),
    "mailuu_suu": (41.2668, 72.4559),
    "tash_kumyr": (41.3478, 72.2173),
    "uzgen": (40.7699, 73.3007),
    "kara_suu": (40.7040, 72.8686),
    "nookat": (40.2630, 72.6190),
    "batken": (40.0625, 70.8194),
    "sulukta": (39.9333, 69.5667),
    "kyzyl_kiya": (40.2567, 72.1278),
}

# --- Building series (apartment blocks) ---------------------------------------------------------

BUILDING_SERIES: tuple[tuple[str, Labels], ...] = (
    ("104", ("104 серия", "104-серия", "Series 104")),
    ("105", ("105 серия", "105-серия", "Series 105")),
    ("106", ("106 серия", "106-серия", "Series 106")),
    ("107", ("107 серия", "107-серия", "Series 107")),
    ("khrushchevka", ("Хрущёвка", "Хрущёвка", "Khrushchyovka")),
    ("stalinka", ("Сталинка", "Сталинка", "Stalinka")),
    ("individual", ("Индивидуальный проект", "Жеке долбоор", "Custom design")),
    ("elite", ("Элитка", "Элитка", "Elite new build")),
)


# --- Building the answer ------------------------------------------------------------------------


def _language_index() -> int:
    language = (translation.get_language() or DEFAULT_LANGUAGE).split("-")[0]
    return LANGUAGES.index(language) if language in LANGUAGES else 0


def _items(entries: Iterable[tuple[str, Labels]]) -> list[Item]:
    index = _language_index()
    return [{"value": value, "label": labels[index]} for value, labels in entries]


def choices(choice_class: type[Choices]) -> list[Item]:
    """A model choice class as `[{value, label}]`, labels in the active language."""
    return [{"value": str(value), "label": str(label)} for value, label in choice_class.choices]


def car_makes() -> list[dict[str, Any]]:
    return [
        {
            "value": make,
            "label": make,
            "models": [{"value": model, "label": model} for model in models],
        }
        for make, models in CAR_MAKES.items()
    ]


def regions() -> list[dict[str, Any]]:
    index = _language_index()
    return [
        {"value": value, "label": labels[index], "cities": _items(cities)}
        for value, labels, cities in REGIONS
    ]


def reference_data() -> dict[str, Any]:
    """Everything `GET /reference/` answers, in the active language."""
    return {
        "categories": choices(Category),
        "statuses": choices(Status),
        "currencies": choices(Currency),
        "car": {
            "body_types": choices(CarBody),
            "fuels": choices(Fuel),
            "transmissions": choices(Transmission),
            "drives": choices(Drive),
            "steering": choices(Steering),
            "conditions": choices(Condition),
            "makes": car_makes(),
        },
        "horse": {
            "sexes": choices(HorseSex),
            "purposes": choices(HorsePurpose),
            "breeds": _items(HORSE_BREEDS),
        },
        "real_estate": {
            "property_types": choices(PropertyType),
            "deal_types": choices(DealType),
            "building_series": _items(BUILDING_SERIES),
        },
        "media_kinds": choices(MediaKind),
        "report_reasons": choices(ReportReason),
        "regions": regions(),
    }


# --- Known places -------------------------------------------------------------------------------

_PLACE_PREFIX = re.compile(r"^(?:г|с|пгт|ш)\.\s*|^(?:город|село|шаар)\s+")
# Only the separators a place's name is written with: anything else (a symbol, an emoji, a
# letter in a circle) stays and makes the text unknown.
_SEPARATORS = re.compile(r"[\s._\-‐‑–—]+")


def _place_key(text: str) -> str:
    """Alike for "г. Кара-Балта", "кара балта" and "kara_balta": case, ё, a prefix and the
    separators set aside."""
    text = text.strip().casefold().replace("ё", "е")
    return _SEPARATORS.sub("", _PLACE_PREFIX.sub("", text))


@cache
def _known_places() -> frozenset[str]:
    names = []
    for value, labels, cities in REGIONS:
        names += [value, *labels]
        for city, city_labels in cities:
            names += [city, *city_labels]
    return frozenset(map(_place_key, names))


@cache
def _cities() -> dict[str, str]:
    """Every spelling's key → the city's value."""
    return {
        _place_key(name): city
        for _value, _labels, cities in REGIONS
        for city, city_labels in cities
        for name in (city, *city_labels)
    }


def is_known_place(text: str) -> bool:
    """A region or city of the reference list, in any of its languages or its value."""
    return _place_key(text) in _known_places()


def city_centre(text: str) -> tuple[float, float] | None:
    """Where the reference list's city named `text` is; None for anything else."""
    city = _cities().get(_place_key(text))
    return CITY_CENTRES.get(city) if city else None
