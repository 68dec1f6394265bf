"""One generated demo listing of each category, drawn from a seeded random.Random: a car, a horse
or a property at a believable price for its year, size and city, in one of the three currencies.
"""

import random
from decimal import Decimal
from typing import Any

from ..models import Category
from ..reference import BUILDING_SERIES, CAR_MAKES, HORSE_BREEDS

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


def random_price(rng: random.Random, usd: float, currencies: dict[str, int]) -> dict[str, str]:
    currency = rng.choices(list(currencies), weights=list(currencies.values()))[0]
    amount = Decimal(usd * rng.uniform(0.85, 1.15)) * USD_IN[currency]
    step = ROUNDING[currency]
    return {
        "price": str(max(step, (amount / step).quantize(Decimal(1)) * step)),
        "currency": currency,
    }


def random_place(rng: random.Random, home: str | None = None) -> dict[str, str]:
    if home is not None and rng.random() < 0.85:
        city = home
    else:
        city = rng.choices([c[0] for c in CITIES], weights=[c[1] for c in CITIES])[0]
    districts = next(c[2] for c in CITIES if c[0] == city)
    return {"city": city, "region": rng.choice(districts) if districts else ""}


def random_car(rng: random.Random, where: dict[str, str]) -> dict[str, Any]:
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
        **random_price(rng, base_usd, {"USD": 50, "KGS": 40, "KZT": 10}),
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


def random_horse(rng: random.Random, where: dict[str, str]) -> dict[str, Any]:
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
        **random_price(
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


def random_real_estate(rng: random.Random, where: dict[str, str]) -> dict[str, Any]:
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
        **random_price(rng, usd, currencies),
        "is_negotiable": rng.random() < 0.5,
        **where,
        "details": details,
    }
