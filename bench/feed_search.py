#!/usr/bin/env python3
"""Feed and search benchmark (`make bench`; docs/performance.md explains the numbers).

1. Builds `marketplace_bench` from a template database made once per listing count N
   (`marketplace_bench_<N>_template`): migrated with `manage.py migrate`, then N listings with
   their details, one photo each and 5,000 sellers loaded with COPY; rebuilt when a migration
   or this loader changes.
2. Starts the application the ways production could run it, with DEBUG off and the connection
   pool, one shape at a time: `asgi` (uvicorn workers, as deploy/ws.sh) and `wsgi` (gunicorn
   sync workers; WebSockets would stay on uvicorn, idle here); `wsgi-gthread` on request.
3. Drives each with wrk (bench/feed_search.lua rotates through URL lists gathered by walking
   the API first): the feed's first page, a page after 50 pages of scrolling, a filtered
   search, a text search, the listing detail, and the floor — `/api/bench/floor/`, the feed's first
   page built by one SQL statement (bench/floor.py) — at 1 and 16 connections.
4. Prints requests/s, p50/p95/p99 latency, and the CPU milliseconds per request of the server's
   processes and of PostgreSQL's backends (from /proc), the endpoint's CPU as a multiple of the
   floor's, and records the table in docs/performance.md.

Everything listens on 127.0.0.1 only, and every step is bounded in time.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import json
import math
import os
import platform
import random
import re
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
# The code the servers run: a snapshot taken at start (see `--source`), so both shapes run the
# same code even while the work tree changes under them.
SOURCE = ROOT
BENCH_DIR = ROOT / "bench"
LUA_SCRIPT = BENCH_DIR / "feed_search.lua"
DOC_PATH = ROOT / "docs" / "performance.md"
VENV_BIN = Path(sys.executable).parent

# `--postgres private` (the default): the bench's own cluster, kept in PRIVATE_ROOT between runs
# (its template databases take minutes to build), with the settings docker-compose.yml gives
# production's server (tests/test_deploy.py checks they match) and pg_stat_statements timing
# each statement's planning and execution. `--postgres shared`: the server BENCH_PG_* name.
PRIVATE_ROOT = ROOT / ".bench" / "postgres"
PRODUCTION_POSTGRES = {
    "shared_buffers": "1GB",
    "effective_cache_size": "3GB",
    "random_page_cost": "1.1",
}
STATEMENT_STATS = {
    "shared_preload_libraries": "pg_stat_statements",
    "pg_stat_statements.track_planning": "on",
    "fsync": "on",
}
PG_HOST = os.environ.get("BENCH_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("BENCH_PG_PORT", "5432"))
PG_USER = os.environ.get("BENCH_PG_USER", "postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
DB_NAME = "marketplace_bench"
# Bump when the generated data changes: templates made by another version are rebuilt.
LOADER_VERSION = "4"
SEED = 360

SHAPES: dict[str, dict[str, Any]] = {
    "asgi": {"port": 8801, "label": "uvicorn ASGI, 2 workers"},
    "wsgi": {"port": 8802, "label": "gunicorn WSGI sync, 2 workers"},
    "wsgi-gthread": {"port": 8803, "label": "gunicorn WSGI gthread, 2 workers x 4 threads"},
}
ENDPOINTS = (
    "bare_floor", "floor", "feed", "feed_unshared", "feed_deep", "search", "text", "detail"
)  # fmt: skip
ENDPOINT_LABELS = {
    "bare_floor": "bare floor (no middleware)",
    "floor": "floor (SQL json_agg)",
    "feed": "feed, first page",
    "feed_unshared": "feed, first page, not shared",
    "feed_deep": "feed, page 51+",
    "search": "filtered search",
    "text": "text search",
    "detail": "listing detail",
}
DEEP_PAGES = (51, 52, 53, 54, 55)  # "after 50 pages of scrolling"

FEED = "/api/v1/listings/feed/"
SEARCH = "/api/v1/listings/"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)  # noqa: T201


# --- PostgreSQL ---------------------------------------------------------------------------------


def pg_url(database: str) -> str:
    return f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{database}"


def pg_connect(database: str, *, autocommit: bool = False) -> psycopg.Connection[Any]:
    return psycopg.connect(
        host=PG_HOST,
        port=PG_PORT,
        user=PG_USER,
        dbname=database,
        autocommit=autocommit,
        connect_timeout=10,
    )


def migrations_fingerprint() -> str:
    """Changes when any migration, or this loader, changes: then the template is rebuilt."""
    digest = hashlib.sha256(LOADER_VERSION.encode())
    for path in sorted(SOURCE.glob("*/migrations/*.py")):
        digest.update(str(path.relative_to(SOURCE)).encode())
        digest.update(path.read_bytes())
    return f"bench-loader:{digest.hexdigest()[:24]}"


def database_comment(admin: psycopg.Connection[Any], name: str) -> str | None:
    row = admin.execute(
        "SELECT coalesce(shobj_description(oid, 'pg_database'), '') FROM pg_database"
        " WHERE datname = %s",
        [name],
    ).fetchone()
    return None if row is None else str(row[0])


def drop_database(admin: psycopg.Connection[Any], name: str) -> None:
    admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def prepare_database(listings: int, *, rebuild: bool, env: dict[str, str]) -> None:
    template = f"marketplace_bench_{listings}_template"
    fingerprint = migrations_fingerprint()
    with pg_connect("postgres", autocommit=True) as admin:
        current = database_comment(admin, template)
    if rebuild or current != fingerprint:
        reason = "asked to" if rebuild else ("absent" if current is None else "out of date")
        log(f"building template {template} ({reason}); later runs reuse it")
        build_template(template, listings, fingerprint, env)
    else:
        log(f"reusing template {template}")
    started = time.monotonic()
    with pg_connect("postgres", autocommit=True) as admin:
        drop_database(admin, DB_NAME)
        admin.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(DB_NAME), sql.Identifier(template)
            )
        )
    log(f"{DB_NAME} copied from the template in {time.monotonic() - started:.1f} s")


def build_template(template: str, listings: int, fingerprint: str, env: dict[str, str]) -> None:
    started = time.monotonic()
    with pg_connect("postgres", autocommit=True) as admin:
        drop_database(admin, template)
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(template)))
    migrate_env = {**env, "DATABASE_URL": pg_url(template)}
    migrate_env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    run_checked(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        env=migrate_env,
        timeout=600,
    )
    log(f"migrated in {time.monotonic() - started:.0f} s; generating {listings:,} listings")
    with pg_connect(template) as conn:
        Loader(conn, listings).load()
    with pg_connect(template, autocommit=True) as conn:
        vacuum_started = time.monotonic()
        conn.execute("VACUUM (ANALYZE)")
        log(f"VACUUM ANALYZE in {time.monotonic() - vacuum_started:.0f} s")
    with pg_connect("postgres", autocommit=True) as admin:
        admin.execute(
            sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                sql.Identifier(template), sql.Literal(fingerprint)
            )
        )
    log(f"template {template} built in {time.monotonic() - started:.0f} s")


# --- Data ---------------------------------------------------------------------------------------

CITIES: tuple[tuple[str, str, float, float, float], ...] = (
    # name, region, weight, latitude, longitude
    ("Бишкек", "Бишкек", 55, 42.8746, 74.5698),
    ("Ош", "Ош", 20, 40.5283, 72.7985),
    ("Джалал-Абад", "Джалал-Абадская область", 5, 40.9333, 73.0017),
    ("Каракол", "Иссык-Кульская область", 4, 42.4907, 78.3936),
    ("Токмок", "Чуйская область", 4, 42.8421, 75.3015),
    ("Кара-Балта", "Чуйская область", 3, 42.8142, 73.8481),
    ("Чолпон-Ата", "Иссык-Кульская область", 2, 42.6490, 77.0816),
    ("Нарын", "Нарынская область", 2, 41.4287, 75.9911),
    ("Талас", "Таласская область", 2, 42.5228, 72.2427),
    ("Кант", "Чуйская область", 1.5, 42.8911, 74.8508),
    ("Баткен", "Баткенская область", 1.5, 40.0563, 70.8194),
)
CAR_MAKES: tuple[tuple[str, float, tuple[str, ...]], ...] = (
    ("Toyota", 22, ("Camry", "Corolla", "Land Cruiser", "Land Cruiser Prado", "RAV4", "Alphard")),
    ("Honda", 10, ("Fit", "Odyssey", "CR-V", "Stepwgn", "Accord")),
    ("Mercedes-Benz", 8, ("E-Class", "S-Class", "C-Class", "G-Class", "Sprinter")),
    ("Hyundai", 9, ("Sonata", "Tucson", "Santa Fe", "Solaris", "Porter")),
    ("Lexus", 6, ("RX", "LX", "GX", "ES")),
    ("Kia", 6, ("K5", "Sportage", "Sorento", "Rio")),
    ("Subaru", 4, ("Outback", "Forester", "Legacy")),
    ("Mitsubishi", 4, ("Pajero", "Delica", "Outlander")),
    ("Nissan", 4, ("X-Trail", "Patrol", "Teana")),
    ("Volkswagen", 4, ("Passat", "Golf", "Touareg")),
    ("BMW", 4, ("5 Series", "7 Series", "X5")),
    ("Chevrolet", 4, ("Cobalt", "Nexia", "Malibu", "Spark")),
    ("Lada", 4, ("Granta", "Vesta", "Niva", "2107")),
    ("Audi", 3, ("A6", "Q7")),
    ("Daewoo", 3, ("Matiz", "Nexia")),
    ("BYD", 2, ("Song Plus", "Han")),
    ("Li Auto", 1, ("L7", "L9")),
    ("Zeekr", 1, ("001",)),
    ("Tesla", 1, ("Model 3", "Model Y")),
)
CAR_COLORS = ("белый", "чёрный", "серебристый", "серый", "синий", "красный", "бежевый")
HORSE_BREEDS = (
    "Новокиргизская",
    "Кыргызская",
    "Ахалтекинская",
    "Донская",
    "Карабаирская",
    "Кушумская",
    "Арабская",
    "Орловская рысистая",
    "Чистокровная верховая",
    "Полукровная",
)
HORSE_SEX_RU = {"stallion": "жеребец", "mare": "кобыла", "gelding": "мерин"}
HORSE_COLORS = ("гнедая", "вороная", "рыжая", "серая", "буланая", "саврасая", "чубарая")
SERIES = ("104 серия", "105 серия", "106 серия", "108 серия", "Элитка", "Хрущёвка", "Сталинка")
STREETS = (
    "ул. Киевская",
    "пр. Чуй",
    "ул. Токтогула",
    "мкр Джал",
    "мкр Асанбай",
    "ул. Московская",
    "пр. Манаса",
    "ул. Ахунбаева",
    "мкр Восток-5",
    "ул. Ленина",
)
FIRST_NAMES = ("Азамат", "Бакыт", "Нурлан", "Айгуль", "Жылдыз", "Эрлан", "Асель", "Мирлан")
SENTENCES = {
    "car": (
        "Машина в отличном состоянии, вложений не требует.",
        "Один хозяин, обслуживание у официального дилера.",
        "Растаможена, документы в порядке.",
        "Двигатель и коробка работают идеально.",
        "Свежая резина, зимняя в подарок.",
        "Возможен обмен на недвижимость или авто подешевле.",
        "Не битая, не крашеная, есть мелкие царапины.",
        "Салон чистый, кондиционер работает.",
        "Пробег реальный, все ТО вовремя.",
        "Подходит для такси и для семьи.",
    ),
    "horse": (
        "Конь спокойный, к седлу приучен.",
        "Подходит для кок-бору и улака.",
        "Все прививки сделаны, ветеринарный паспорт есть.",
        "Хорошая родословная, от чемпиона скачек.",
        "Кобыла дойная, подходит для кымыза.",
        "Содержится на джайлоо, здоровый и сильный.",
        "Участвовал в скачках на байге.",
        "Продаю в связи с переездом.",
    ),
    "real_estate": (
        "Квартира с хорошим ремонтом, мебель остаётся.",
        "Рядом школа, детский сад и рынок.",
        "Красная книга, все документы готовы.",
        "Тёплая, солнечная, окна во двор.",
        "Возможна ипотека и рассрочка.",
        "Центр города, развитая инфраструктура.",
        "Автономное отопление, газ, свет, вода.",
        "Участок ровный, есть плодовые деревья.",
        "Новостройка, сдача в этом году.",
        "Без посредников, собственник.",
    ),
}
COMMON_SENTENCES = (
    "Срочно продаю, торг уместен.",
    "Звоните в любое время.",
    "Пишите в WhatsApp.",
    "Цена окончательная.",
    "Рассмотрю разумные предложения.",
)


def weighted(
    rng: random.Random, items: Sequence[Any], weights: Sequence[float]
) -> Callable[[], Any]:
    """A cheap weighted picker: a precomputed table of 1,000 slots."""
    total = sum(weights)
    table: list[Any] = []
    for item, weight in zip(items, weights, strict=True):
        table += [item] * max(1, round(1000 * weight / total))
    size = len(table)
    return lambda: table[int(rng.random() * size)]


def not_null_fill(
    conn: psycopg.Connection[Any], table: str, given: Iterable[str]
) -> dict[str, Any]:
    """Columns added by later migrations that are NOT NULL without a database default: a
    neutral value for each, so the loader keeps working while the models grow."""
    rows = conn.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema ="
        " 'public' AND table_name = %s AND is_nullable = 'NO' AND column_default IS NULL"
        " AND is_generated = 'NEVER' AND is_identity = 'NO'",
        [table],
    ).fetchall()
    neutral = {
        "boolean": False,
        "integer": 0,
        "smallint": 0,
        "bigint": 0,
        "numeric": 0,
        "double precision": 0,
        "jsonb": "{}",
        "json": "{}",
        "timestamp with time zone": dt.datetime.now(dt.UTC),
        "date": dt.datetime.now(dt.UTC).date(),
    }
    given = set(given)
    return {name: neutral.get(kind, "") for name, kind in rows if name not in given}


def table_columns(conn: psycopg.Connection[Any], table: str) -> set[str]:
    rows = conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public'"
        " AND table_name = %s",
        [table],
    ).fetchall()
    return {row[0] for row in rows}


def copy_rows(
    conn: psycopg.Connection[Any],
    table: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    fill: bool = True,
) -> int:
    extra = not_null_fill(conn, table, columns) if fill else {}
    names = [*columns, *extra]
    tail = tuple(extra.values())
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(n) for n in names)
    )
    count = 0
    with conn.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row((*row, *tail) if tail else row)
            count += 1
    return count


@contextlib.contextmanager
def indexes_dropped(conn: psycopg.Connection[Any], tables: Sequence[str]) -> Iterator[None]:
    """Bulk loads go faster into bare tables: drop the indexes that back no constraint, and
    build them again (in bulk, with room to sort) afterwards."""
    rows = conn.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i"
        " JOIN pg_class c ON c.relname = i.indexname"
        " WHERE i.schemaname = 'public' AND i.tablename = ANY(%s)"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = c.oid)",
        [list(tables)],
    ).fetchall()
    for name, _definition in rows:
        conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
    try:
        yield
    finally:
        started = time.monotonic()
        conn.execute("SET maintenance_work_mem = '512MB'")
        conn.execute("SET max_parallel_maintenance_workers = 2")
        for _name, definition in rows:
            conn.execute(definition)  # from pg_indexes: the database's own text
        log(f"{len(rows)} indexes rebuilt in {time.monotonic() - started:.0f} s")


class Loader:
    """Sellers, a few businesses, N listings with details and a photo each, by COPY."""

    SELLERS = 5_000
    BUSINESSES = 100

    def __init__(self, conn: psycopg.Connection[Any], listings: int) -> None:
        self.conn = conn
        self.n = listings
        self.rng = random.Random(SEED)  # noqa: S311 (repeatable test data, not secrets)
        self.now = dt.datetime.now(dt.UTC).replace(microsecond=0)

    def new_id(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def load(self) -> None:
        conn = self.conn
        conn.execute("SET synchronous_commit = off")
        # Data made here is consistent by construction: skip per-row foreign-key triggers.
        conn.execute("SET session_replication_role = replica")
        started = time.monotonic()
        sellers, business_of = self.load_people()
        with indexes_dropped(
            conn,
            [
                "listings_listing",
                "listings_cardetails",
                "listings_horsedetails",
                "listings_realestatedetails",
                "listings_listingmedia",
            ],
        ):
            self.load_listings(sellers, business_of)
            log(f"rows loaded in {time.monotonic() - started:.0f} s")
        conn.execute("SET session_replication_role = DEFAULT")
        conn.commit()

    def load_people(self) -> tuple[list[uuid.UUID], dict[uuid.UUID, uuid.UUID]]:
        rng, now = self.rng, self.now
        city = weighted(rng, [c[0] for c in CITIES], [c[2] for c in CITIES])
        sellers = [self.new_id() for _ in range(self.SELLERS)]
        users = (
            (
                seller,
                "!",
                f"+99670{index:07d}",
                f"{rng.choice(FIRST_NAMES)} {index}",
                city(),
                "ru",
                "",
                "user",
                True,
                False,
                False,
                0,
                now - dt.timedelta(days=200 + rng.random() * 600),
                now,
            )
            for index, seller in enumerate(sellers)
        )
        copy_rows(
            self.conn,
            "accounts_user",
            (
                "id",
                "password",
                "phone",
                "display_name",
                "city",
                "language",
                "avatar",
                "role",
                "is_active",
                "is_staff",
                "is_superuser",
                "token_version",
                "created_at",
                "updated_at",
            ),
            users,
        )
        businesses = [self.new_id() for _ in range(self.BUSINESSES)]
        kinds = ("Автосалон", "Агентство недвижимости", "Конный завод")
        copy_rows(
            self.conn,
            "business_business",
            (
                "id",
                "name",
                "slug",
                "phone",
                "verified",
                "subscription_status",
                "created_at",
                "updated_at",
            ),
            (
                (
                    b,
                    f"{kinds[i % 3]} №{i + 1}",
                    f"bench-{i + 1}",
                    "",
                    i % 2 == 0,
                    "active",
                    now,
                    now,
                )
                for i, b in enumerate(businesses)
            ),
        )
        # The first sellers are each a business's admin; their listings are the business's.
        business_of = dict(zip(sellers[: self.BUSINESSES], businesses, strict=True))
        copy_rows(
            self.conn,
            "business_membership",
            ("business_id", "user_id", "role", "joined_at"),
            ((b, u, "admin", now) for u, b in business_of.items()),
        )
        return sellers, business_of

    def load_listings(
        self, sellers: list[uuid.UUID], business_of: dict[uuid.UUID, uuid.UUID]
    ) -> None:
        conn, rng, now = self.conn, self.rng, self.now
        # Business sellers list ten times as much as private ones.
        author = weighted(rng, sellers, [10 if s in business_of else 1 for s in sellers])
        category = weighted(rng, ["car", "horse", "real_estate"], [45, 15, 40])
        status = weighted(
            rng,
            ["active", "pending_review", "sold", "paused", "draft", "rejected"],
            [92, 3, 3, 1, 0.5, 0.5],
        )
        city = weighted(rng, CITIES, [c[2] for c in CITIES])
        make = weighted(rng, CAR_MAKES, [m[1] for m in CAR_MAKES])
        cars: list[tuple[Any, ...]] = []
        horses: list[tuple[Any, ...]] = []
        estates: list[tuple[Any, ...]] = []
        media: list[tuple[Any, ...]] = []
        # Without the table's NOT NULLs: columns left out here are filled in on insert.
        conn.execute(
            "CREATE TEMP TABLE bench_listing ON COMMIT DROP"
            " AS SELECT * FROM listings_listing WITH NO DATA"
        )
        conn.execute("ALTER TABLE bench_listing ADD COLUMN bench_doc text")
        conn.execute("ALTER TABLE bench_listing ADD COLUMN bench_cover text")
        columns = (
            "id", "author_id", "business_id", "category", "status", "title", "description",
            "price", "currency", "price_kgs", "price_kzt", "price_usd", "is_negotiable", "city",
            "region", "latitude", "longitude", "hide_phone", "views_count", "favorites_count",
            "phone_reveals_count", "boost_started_at", "boosted_until", "client_id",
            "rejection_code", "rejection_note", "created_at", "updated_at", "published_at",
            "bench_doc", "bench_cover",
        )  # fmt: skip
        has_boost_start = "boost_started_at" in table_columns(conn, "listings_listing")

        def rows() -> Iterator[tuple[Any, ...]]:
            for index in range(self.n):
                listing_id = self.new_id()
                seller = author()
                kind = category()
                state = status()
                name, region, _weight, lat, lng = city()
                if kind == "car":
                    title, price, currency, words = self.car(listing_id, make, cars)
                elif kind == "horse":
                    title, price, currency, words = self.horse(listing_id, horses)
                else:
                    title, price, currency, words = self.estate(listing_id, name, estates)
                pool = SENTENCES[kind]
                sentences = rng.sample(pool, 2 + int(rng.random() * 3))
                if rng.random() < 0.3:
                    sentences.append(rng.choice(COMMON_SENTENCES))
                description = " ".join(sentences)
                age = dt.timedelta(seconds=rng.random() * 180 * 86400)
                published = None if state in ("draft", "pending_review") else now - age
                created = now - age - dt.timedelta(seconds=rng.random() * 7200)
                boost_start = boost_end = None
                roll = rng.random()
                if state == "active" and roll < 0.0109:  # 1% of all listings boosted now
                    boost_start = now - dt.timedelta(seconds=rng.random() * 3 * 86400)
                    boost_end = now + dt.timedelta(seconds=3600 + rng.random() * 7 * 86400)
                elif state == "active" and roll < 0.03:  # boosts that have run out
                    boost_end = now - age / 2
                    boost_start = boost_end - dt.timedelta(days=3)
                located = rng.random() < 0.6
                doc = " ".join([description, name, region, *words])
                photo = f"listings/{listing_id}/{self.rng.getrandbits(64):016x}.jpg"
                yield (
                    listing_id,
                    seller,
                    business_of.get(seller),
                    kind,
                    state,
                    title,
                    description,
                    price,
                    currency,
                    0,
                    0,
                    0,
                    rng.random() < 0.4,
                    name,
                    region,
                    f"{lat + (rng.random() - 0.5) * 0.08:.6f}" if located else None,
                    f"{lng + (rng.random() - 0.5) * 0.08:.6f}" if located else None,
                    rng.random() < 0.1,
                    int(rng.expovariate(1 / 150)),
                    int(rng.expovariate(1 / 6)),
                    int(rng.expovariate(1 / 4)),
                    boost_start if has_boost_start else None,
                    boost_end,
                    "",
                    "",
                    "",
                    created,
                    published or created,
                    published,
                    doc,
                    photo,
                )
                media.append(
                    (
                        self.new_id(),
                        listing_id,
                        "image",
                        photo,
                        "",
                        f"listings/{listing_id}/{self.rng.getrandbits(64):016x}.jpg",
                        "",
                        0,
                        "ready",
                        created,
                    )
                )
                if index and index % 200_000 == 0:
                    log(f"  {index:,} listings generated")

        stage_columns = (
            columns if has_boost_start else tuple(c for c in columns if c != "boost_started_at")
        )
        stage_rows = rows() if has_boost_start else (r[:21] + r[22:] for r in rows())
        copy_rows(conn, "bench_listing", stage_columns, stage_rows, fill=False)
        self.insert_listings(stage_columns)
        copy_rows(
            conn,
            "listings_cardetails",
            ("listing_id", "make", "model", "year", "mileage_km", "vin", "body_type", "fuel",
             "transmission", "drive", "steering", "engine_volume_l", "color", "condition",
             "customs_cleared", "damage_report"),
            cars,
        )  # fmt: skip
        copy_rows(
            conn,
            "listings_horsedetails",
            ("listing_id", "breed", "sex", "birth_year", "height_cm", "color", "purpose",
             "pedigree", "vaccinated"),
            horses,
        )  # fmt: skip
        copy_rows(
            conn,
            "listings_realestatedetails",
            ("listing_id", "property_type", "deal_type", "area_m2", "rooms", "floor",
             "floors_total", "land_area_sotka", "building_series", "has_documents", "address"),
            estates,
        )  # fmt: skip
        copy_rows(
            conn,
            "listings_listingmedia",
            ("id", "listing_id", "kind", "file", "poster", "thumbnail", "rendition", "position",
             "processing", "created_at"),
            media,
        )  # fmt: skip

    def insert_listings(self, stage_columns: Sequence[str]) -> None:
        """Stage → listings_listing, converting prices at the stored rates and building the
        search document the way listings.services.search does (title A, the rest B)."""
        conn = self.conn
        rates = {"KGS": 1.0, "KZT": 0.17, "USD": 87.45}  # listings.money.FALLBACK_RATES
        for code, rate in conn.execute(
            "SELECT currency, kgs_per_unit FROM listings_exchangerate"
        ).fetchall():
            rates[code] = float(rate)
        rates["KGS"] = 1.0
        in_kgs = sql.SQL(
            "(s.price * CASE s.currency WHEN 'KZT' THEN {} WHEN 'USD' THEN {} ELSE 1 END)"
        ).format(sql.Literal(rates["KZT"]), sql.Literal(rates["USD"]))
        columns = [c for c in stage_columns if c not in ("bench_doc", "bench_cover")]
        select: list[sql.Composable] = []
        for column in columns:
            code = column.removeprefix("price_").upper()
            if column.startswith("price_") and code in rates:
                select.append(sql.SQL("round({} / {}, 2)").format(in_kgs, sql.Literal(rates[code])))
            else:
                select.append(sql.SQL("s.{}").format(sql.Identifier(column)))
        names = list(columns)
        if "cover_image" in table_columns(conn, "listings_listing"):
            names.append("cover_image")  # the card's cover, as the media services keep it
            select.append(sql.SQL("s.bench_cover"))
        if "search_vector" in table_columns(conn, "listings_listing"):
            names.append("search_vector")
            select.append(
                sql.SQL(
                    "setweight(to_tsvector('russian', s.title), 'A')"
                    " || setweight(to_tsvector('russian', s.bench_doc), 'B')"
                )
            )
        for name, value in not_null_fill(conn, "listings_listing", names).items():
            names.append(name)
            select.append(sql.Literal(value))
        statement = sql.SQL(
            "INSERT INTO listings_listing ({}) SELECT {} FROM bench_listing s"
        ).format(sql.SQL(", ").join(sql.Identifier(n) for n in names), sql.SQL(", ").join(select))
        started = time.monotonic()
        conn.execute(statement)
        log(f"listings inserted, prices and search vectors in {time.monotonic() - started:.0f} s")

    def car(
        self, listing_id: uuid.UUID, make: Callable[[], Any], out: list[tuple[Any, ...]]
    ) -> tuple[str, int, str, list[str]]:
        rng = self.rng
        brand, _weight, models = make()
        model = rng.choice(models)
        year = min(2026, max(1990, int(rng.gauss(2013, 6))))
        mileage = max(0, int((2026 - year) * rng.uniform(8_000, 22_000)))
        body = rng.choice(("sedan", "sedan", "suv", "suv", "hatchback", "minivan", "wagon"))
        fuel = rng.choice(("petrol", "petrol", "petrol", "gas", "diesel", "hybrid", "electric"))
        gearbox = rng.choice(("automatic", "automatic", "manual", "cvt", "robot"))
        color = rng.choice(CAR_COLORS)
        usd = max(800, int(math.exp(rng.gauss(9.3, 0.8)) * (1 + (year - 2013) * 0.05)))
        currency = rng.choice(("USD", "USD", "USD", "KGS", "KZT"))
        price = {"USD": usd, "KGS": usd * 87, "KZT": usd * 510}[currency]
        out.append(
            (
                listing_id,
                brand,
                model,
                year,
                mileage,
                "",
                body,
                fuel,
                gearbox,
                rng.choice(("fwd", "rwd", "awd")),
                "right" if rng.random() < 0.2 else "left",
                f"{rng.choice((1.3, 1.5, 1.6, 2.0, 2.4, 2.5, 3.5, 4.6)):.1f}",
                color,
                "used" if rng.random() < 0.88 else rng.choice(("new", "damaged")),
                rng.random() < 0.9,
                "",
            )
        )
        words = [brand, model, str(year), body, fuel, gearbox, color]
        return f"{brand} {model}, {year}", price, currency, words

    def horse(
        self, listing_id: uuid.UUID, out: list[tuple[Any, ...]]
    ) -> tuple[str, int, str, list[str]]:
        rng = self.rng
        breed = rng.choice(HORSE_BREEDS)
        sex = rng.choice(("stallion", "mare", "mare", "gelding"))
        born = 2026 - int(rng.uniform(1, 18))
        purpose = rng.choice(("kok_boru", "racing", "breeding", "riding", "meat", "dairy"))
        color = rng.choice(HORSE_COLORS)
        out.append(
            (
                listing_id,
                breed,
                sex,
                born,
                int(rng.uniform(135, 170)),
                color,
                purpose,
                "",
                rng.random() < 0.7,
            )
        )
        kgs = int(rng.uniform(80, 1500)) * 1000
        currency = "KGS" if rng.random() < 0.9 else "USD"
        price = kgs if currency == "KGS" else max(100, kgs // 87)
        title = f"{HORSE_SEX_RU[sex].capitalize()}, {breed.lower()} порода, {2026 - born} лет"
        return title, price, currency, [breed, sex, purpose, color]

    def estate(
        self, listing_id: uuid.UUID, city: str, out: list[tuple[Any, ...]]
    ) -> tuple[str, int, str, list[str]]:
        rng = self.rng
        kind = rng.choice(("apartment",) * 12 + ("house",) * 5 + ("land",) * 2 + ("commercial",))
        deal = "rent" if rng.random() < 0.25 else "sale"
        rooms = floor = floors = sotka = None
        series = ""
        if kind == "apartment":
            rooms = rng.choice((1, 1, 2, 2, 2, 3, 3, 4, 5))
            area = rooms * rng.uniform(18, 30) + 12
            floors = rng.choice((4, 5, 9, 9, 12, 16))
            floor = rng.randint(1, floors)
            series = rng.choice(SERIES)
            title = f"{rooms}-комн. квартира, {area:.0f} м², {series}"
            usd = area * rng.uniform(700, 1600)
        elif kind == "house":
            rooms = rng.randint(3, 8)
            area = rng.uniform(80, 350)
            sotka = rng.choice((4, 5, 6, 8, 10, 12))
            title = f"Дом {area:.0f} м², {sotka} соток"
            usd = area * rng.uniform(400, 1200)
        elif kind == "land":
            sotka = rng.choice((4, 5, 6, 8, 10, 12, 20, 50))
            area = sotka * 100.0
            title = f"Участок {sotka} соток"
            usd = sotka * rng.uniform(1500, 6000)
        else:
            area = rng.uniform(30, 600)
            title = f"Коммерческое помещение {area:.0f} м²"
            usd = area * rng.uniform(600, 2000)
        address = f"{rng.choice(STREETS)}, {rng.randint(1, 200)}" if city == "Бишкек" else ""
        if deal == "rent":
            title = "Сдаётся: " + title
            price, currency = int(usd / 150 / 100) * 100 * 87 + 5000, "KGS"
        else:
            price, currency = int(usd / 100) * 100 + 1000, "USD"
        out.append(
            (
                listing_id,
                kind,
                deal,
                f"{area:.2f}",
                rooms,
                floor,
                floors,
                None if sotka is None else f"{sotka:.2f}",
                series,
                rng.random() < 0.8,
                address,
            )
        )
        return title, price, currency, [kind, deal, series, address]


# --- Servers -------------------------------------------------------------------------------------


def run_checked(argv: list[str], *, env: dict[str, str], timeout: float) -> None:
    completed = subprocess.run(  # noqa: S603 (fixed argv built here, no shell)
        argv, cwd=SOURCE, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if completed.returncode != 0:
        sys.stderr.write(completed.stdout[-4000:] + completed.stderr[-4000:])
        raise SystemExit(f"failed: {' '.join(argv)}")


def snapshot(source: str, work: Path) -> Path:
    """`head`: the last commit; `worktree`: the files as they are now (without .git, .venv).
    Either way with this bench/ directory on top, and the same code for every shape."""
    target = work / "src"
    if source == "head":
        target.mkdir()
        archive = subprocess.run(  # noqa: S603 (fixed argv, no shell)
            ["git", "-C", str(ROOT), "archive", "--format=tar", "HEAD"],  # noqa: S607
            capture_output=True,
            timeout=120,
            check=True,
        )
        subprocess.run(  # noqa: S603 (fixed argv, no shell)
            ["tar", "-x", "-C", str(target)],  # noqa: S607
            input=archive.stdout,
            timeout=120,
            check=True,
        )
        commit = subprocess.run(  # noqa: S603 (fixed argv, no shell)
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],  # noqa: S607
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout.strip()
        log(f"serving the last commit, {commit} (--source worktree for uncommitted changes)")
    else:
        anywhere = shutil.ignore_patterns(
            ".git", ".venv", "node_modules", "__pycache__", "*.sqlite3*"
        )

        def skip(directory: str, names: list[str]) -> set[str]:
            ignored = set(anywhere(directory, names))
            if Path(directory) == ROOT:  # uploads and build output; listings/media is code
                ignored |= {".bench", "media", "staticfiles"}.intersection(names)
            return ignored

        shutil.copytree(ROOT, target, ignore=skip)
        log("serving a copy of the work tree as it is now")
    shutil.copytree(BENCH_DIR, target / "bench", dirs_exist_ok=True)
    return target


def server_env(work: Path) -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.settings_bench",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "JWT_SIGNING_KEY": secrets.token_urlsafe(48),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "false",
            "LOG_LEVEL": "WARNING",
            "LOG_FORMAT": "json",
            "DATABASE_URL": pg_url(DB_NAME),
            "REDIS_URL": REDIS_URL,
            # The anonymous throttle (300/min) would answer the load test with 429s.
            "THROTTLE_ANON_RATE": "100000000/min",
            "THROTTLE_USER_RATE": "100000000/min",
            # As behind nginx: the Lua script sends X-Forwarded-For from 4,096 addresses, so
            # the throttles and view counters see many clients, not one with a huge history.
            "TRUSTED_PROXIES": "127.0.0.1/32",
            "PROMETHEUS_MULTIPROC_DIR": str(work / "prometheus"),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    return env


def server_argv(shape: str, port: int) -> list[str]:
    if shape == "asgi":  # as deploy/ws.sh (production's WebSocket service)
        return [
            str(VENV_BIN / "uvicorn"),
            "marketplace.asgi:application",
            "--host", "127.0.0.1",
            "--port", str(port),
            "--workers", "2",
            "--no-access-log",
            "--no-proxy-headers",
            "--lifespan", "off",
        ]  # fmt: skip
    argv = [
        str(VENV_BIN / "gunicorn"),
        "bench.wsgi:application",  # the project's, plus the bare floor
        "--bind", f"127.0.0.1:{port}",
        "--workers", "2",
        "--timeout", "30",
        "--graceful-timeout", "5",
    ]  # fmt: skip
    if shape == "wsgi-gthread":
        argv += ["--worker-class", "gthread", "--threads", "4"]
    return argv


def proc_table() -> dict[int, tuple[int, int, str]]:
    """pid → (parent pid, utime + stime in clock ticks, command line) for every process."""
    table: dict[int, tuple[int, int, str]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as file:
                stat = file.read().decode(errors="replace")
            with open(f"/proc/{entry}/cmdline", "rb") as file:
                cmdline = file.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        table[int(entry)] = (int(fields[1]), int(fields[11]) + int(fields[12]), cmdline)
    return table


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class CpuSample:
    server: dict[int, int]
    database: dict[int, int]


def stop_group(process: subprocess.Popen[bytes] | None) -> None:
    """Stops a server started in its own process group: TERM, then KILL after 15 s, and KILL
    for any worker left behind by its master."""
    if process is None or process.poll() is not None:
        return
    pgid = os.getpgid(process.pid)
    os.killpg(pgid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(pgid, signal.SIGKILL)
        process.wait(timeout=5)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


class Server:
    def __init__(self, shape: str, env: dict[str, str], work: Path) -> None:
        self.shape = shape
        self.port = int(SHAPES[shape]["port"])
        self.env = env
        self.log_path = work / f"{shape}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> None:
        prometheus = Path(self.env["PROMETHEUS_MULTIPROC_DIR"])
        shutil.rmtree(prometheus, ignore_errors=True)
        prometheus.mkdir(parents=True)
        with self.log_path.open("wb") as log_file:
            self.process = subprocess.Popen(  # noqa: S603 (fixed argv built here, no shell)
                server_argv(self.shape, self.port),
                cwd=SOURCE,
                env=self.env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            with contextlib.suppress(OSError):
                status, _body = http_get(self.base + "/healthz", timeout=2)
                if status == 200 and len(self.worker_pids()) >= 3:
                    return
            time.sleep(0.3)
        tail = self.log_path.read_text(errors="replace")[-3000:]
        self.stop()
        raise SystemExit(f"{self.shape} server did not become healthy:\n{tail}")

    def worker_pids(self) -> list[int]:
        """The server's master and every process below it."""
        if self.process is None:
            return []
        table = proc_table()
        found = {self.process.pid}
        changed = True
        while changed:
            changed = False
            for pid, (parent, _ticks, _cmd) in table.items():
                if parent in found and pid not in found:
                    found.add(pid)
                    changed = True
        return sorted(pid for pid in found if pid in table)

    def cpu(self) -> CpuSample:
        table = proc_table()
        pids = set(self.worker_pids())
        marker = f" {DB_NAME} "
        return CpuSample(
            server={pid: table[pid][1] for pid in pids if pid in table},
            database={
                pid: ticks
                for pid, (_parent, ticks, cmd) in table.items()
                if cmd.startswith("postgres:") and marker in cmd
            },
        )

    def stop(self) -> None:
        stop_group(self.process)


def machine_busy_ticks() -> int:
    """Clock ticks all CPUs spent busy since boot (/proc/stat), for the share used elsewhere."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(fields) - fields[3] - fields[4]  # all but idle and iowait


def children_ticks() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (usage.ru_utime + usage.ru_stime) * CLOCK_TICKS


def ticks_spent(before: dict[int, int], after: dict[int, int]) -> int:
    return sum(ticks - before.get(pid, 0) for pid, ticks in after.items())


def http_get(url: str, timeout: float = 30) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (http://127.0.0.1 only)
            return int(response.status), response.read()
    except urllib.error.HTTPError as error:
        return int(error.code), error.read()


def get_json(base: str, path: str) -> tuple[int, Any]:
    status, body = http_get(base + path)
    try:
        return status, json.loads(body)
    except ValueError:
        return status, None


def path_of(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


# --- Request lists -------------------------------------------------------------------------------

SEARCHES = (
    "category=car&make=Toyota&price_min=500000&price_max=2000000&currency=KGS&city=Бишкек",
    "category=car&make=Honda&model=Fit&city=Бишкек",
    "category=car&year_min=2015&transmission=automatic&price_max=20000&currency=USD",
    "category=car&make=Lexus&ordering=-price&currency=USD",
    "category=car&make=Mercedes-Benz&city=Ош&ordering=price&currency=USD",
    "category=real_estate&property_type=apartment&deal_type=sale&rooms=2&city=Бишкек",
    "category=real_estate&deal_type=rent&price_max=40000&currency=KGS&city=Бишкек",
    "category=real_estate&property_type=house&city=Ош&ordering=price&currency=USD",
    "category=horse&city=Нарын",
    "category=horse&breed=Новокиргизская&sex=stallion&ordering=-price&currency=KGS",
    "city=Каракол&price_max=50000&currency=USD",
    "category=car&fuel=electric&price_min=20000&currency=USD",
)
TEXT_QUERIES = (
    "Toyota Camry",
    "Land Cruiser",
    "Honda Fit",
    "квартира",
    "2-комн. квартира",
    "квартира ипотека",
    "дом с участком",
    "участок",
    "жеребец",
    "кобыла кымыз",
    "кок-бору",
    "срочно",
    "Lexus RX",
    "106 серия",
    "растаможена",
    "коммерческое помещение",
)


@dataclass
class Requests:
    paths: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def gather(base: str, deep_walks: int = 1) -> Requests:
    """Walk the API once to collect real cursors: the same lists serve every shape (a cursor
    pins its moment, so its pages stay the same)."""
    gathered = Requests()
    gathered.paths["floor"] = ["/api/bench/floor/"]
    gathered.paths["bare_floor"] = ["/bench/bare-floor/"]  # the WSGI shapes only
    status, _page = get_json(base, FEED)
    if status != 200:
        gathered.notes.append(f"{FEED} answered {status}: feed rows skipped")
    else:
        gathered.paths["feed"] = [FEED]
        # The first page shared by every caller (FEED_CACHE_SECONDS) is "feed"; a URL no one
        # asked for in the last seconds computes it afresh, as the cache's misses do.
        gathered.paths["feed_unshared"] = [f"{FEED}?unshared={n}" for n in range(50_000)]
        deep: list[str] = []
        for _walk in range(deep_walks):
            path, page_number = FEED, 1
            while page_number < DEEP_PAGES[-1]:
                status, page = get_json(base, path)
                if status != 200 or not isinstance(page, dict) or not page.get("next"):
                    gathered.notes.append(f"the feed ended at page {page_number}")
                    break
                path, page_number = path_of(str(page["next"])), page_number + 1
                if page_number in DEEP_PAGES:
                    deep.append(path)
        if deep:
            gathered.paths["feed_deep"] = deep
    for name, queries in (
        ("search", SEARCHES),
        ("text", tuple(f"q={urllib.parse.quote(q)}" for q in TEXT_QUERIES)),
    ):
        found: list[str] = []
        for query in queries:
            parts = [p.split("=", 1) for p in query.split("&")]
            path = f"{SEARCH}?" + urllib.parse.urlencode(
                [(k, urllib.parse.unquote(v)) for k, v in parts]
            )
            status, page = get_json(base, path)
            if status != 200 or not isinstance(page, dict):
                gathered.notes.append(f"{name}: {path} answered {status}, left out")
                continue
            found.append(path)
            if not page.get("results"):
                gathered.notes.append(f"{name}: {urllib.parse.unquote(path)} found nothing")
            if page.get("next"):  # and its second page, by cursor
                found.append(path_of(str(page["next"])))
        if found:
            gathered.paths[name] = found
    with pg_connect(DB_NAME) as conn:
        ids = conn.execute(
            "SELECT id FROM listings_listing TABLESAMPLE SYSTEM (5) REPEATABLE (360)"
            " WHERE status = 'active' LIMIT 500"
        ).fetchall()
    details = [f"{SEARCH}{row[0]}/" for row in ids]
    if details:
        status, _ = get_json(base, details[0])
        if status == 200:
            gathered.paths["detail"] = details
        else:
            gathered.notes.append(f"detail answered {status}: detail rows skipped")
    return gathered


# --- Load runs -----------------------------------------------------------------------------------


@dataclass
class Result:
    shape: str
    endpoint: str
    connections: int
    requests: int
    seconds: float
    errors: int
    p50: float
    p95: float
    p99: float
    server_ms: float
    db_ms: float
    paths: int
    other_cores: float  # CPUs kept busy by everything else on the machine meanwhile
    # PostgreSQL's planning and execution time per request (pg_stat_statements), when loaded.
    plan_ms: float | None = None
    exec_ms: float | None = None

    @property
    def valid(self) -> bool:
        """More than 1% of failed requests measures the failure, not the endpoint."""
        return self.requests > 0 and self.errors * 100 <= self.requests

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def run_wrk(
    wrk: str, base: str, paths_file: Path, connections: int, seconds: float
) -> dict[str, float]:
    threads = 1 if connections < 4 else 2
    argv = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout", "10s",
        "--latency",
        "-s", str(LUA_SCRIPT),
        base,
        "--",
        str(paths_file),
    ]  # fmt: skip
    completed = subprocess.run(  # noqa: S603 (fixed argv built here, no shell)
        argv, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    match = re.search(r"^BENCH_RESULT (.*)$", completed.stdout, re.MULTILINE)
    if completed.returncode != 0 or match is None:
        raise SystemExit(f"wrk failed:\n{completed.stdout}\n{completed.stderr}")
    return {key: float(value) for key, value in (p.split("=") for p in match.group(1).split())}


def wait_database_idle(timeout: float = 120) -> None:
    """Queries that wrk gave up on (its 10 s timeout) go on running in PostgreSQL after the
    row ends; wait for them, so their CPU is not counted against the next row."""
    deadline = time.monotonic() + timeout
    with pg_connect("postgres", autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND state = 'active'"
                " AND pid <> pg_backend_pid()",
                [DB_NAME],
            ).fetchone()
            if not row or row[0] == 0:
                return
            time.sleep(0.2)
    log("note: PostgreSQL still busy with earlier requests; the next row may be disturbed")


def statement_stats_on() -> bool:
    """Whether pg_stat_statements is loaded (the private cluster always has it)."""
    try:
        with pg_connect("postgres", autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            conn.execute("SELECT pg_stat_statements_reset()")
    except psycopg.Error:
        return False
    return True


def statement_times() -> tuple[float, float]:
    """Milliseconds PostgreSQL spent planning and executing the bench database's statements
    since the last `pg_stat_statements_reset()`."""
    with pg_connect("postgres", autocommit=True) as conn:
        row = conn.execute(
            "SELECT coalesce(sum(s.total_plan_time), 0), coalesce(sum(s.total_exec_time), 0)"
            " FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid"
            " WHERE d.datname = %s",
            [DB_NAME],
        ).fetchone()
    return (float(row[0]), float(row[1])) if row else (0.0, 0.0)


def reset_statement_times() -> None:
    with pg_connect("postgres", autocommit=True) as conn:
        conn.execute("SELECT pg_stat_statements_reset()")


def measure(
    server: Server,
    wrk: str,
    gathered: Requests,
    connections: Sequence[int],
    seconds: float,
    work: Path,
    *,
    timed: bool = False,
) -> list[Result]:
    """Each endpoint at each connection count; with `timed`, also PostgreSQL's planning and
    execution time per request from pg_stat_statements."""
    results: list[Result] = []
    for endpoint in ENDPOINTS:
        paths = gathered.paths.get(endpoint)
        if not paths:
            continue
        status, body = http_get(server.base + paths[0])
        if status != 200:
            note = f"{server.shape}: {endpoint} answered {status} ({body[:200]!r}), not measured"
            gathered.notes.append(note)
            log(f"note: {note}")
            continue
        paths_file = work / f"{endpoint}.paths"
        paths_file.write_text("\n".join(paths) + "\n")
        for count in connections:
            wait_database_idle()
            run_wrk(wrk, server.base, paths_file, count, max(2, round(seconds / 4)))  # warm-up
            wait_database_idle()
            if timed:
                reset_statement_times()
            before, busy, wrk_ticks = server.cpu(), machine_busy_ticks(), children_ticks()
            raw = run_wrk(wrk, server.base, paths_file, count, seconds)
            after = server.cpu()
            plan_total, exec_total = statement_times() if timed else (0.0, 0.0)
            busy, wrk_ticks = machine_busy_ticks() - busy, children_ticks() - wrk_ticks
            server_ticks = ticks_spent(before.server, after.server)
            db_ticks = ticks_spent(before.database, after.database)
            other = max(0.0, busy - server_ticks - db_ticks - wrk_ticks)
            requests = int(raw["requests"])
            per_request = 1000 / CLOCK_TICKS / max(1, requests)
            result = Result(
                shape=server.shape,
                endpoint=endpoint,
                connections=count,
                requests=requests,
                seconds=raw["duration_us"] / 1e6,
                errors=int(raw["status"] + raw["connect"] + raw["read"] + raw["timeout"]),
                p50=raw["p50"] / 1000,
                p95=raw["p95"] / 1000,
                p99=raw["p99"] / 1000,
                server_ms=server_ticks * per_request,
                db_ms=db_ticks * per_request,
                paths=len(paths),
                other_cores=other / CLOCK_TICKS / max(0.001, raw["duration_us"] / 1e6),
                plan_ms=plan_total / max(1, requests) if timed else None,
                exec_ms=exec_total / max(1, requests) if timed else None,
            )
            results.append(result)
            log(
                f"{server.shape:>5} {endpoint:<9} c={count:<2} {result.rps:8.0f} req/s"
                f"  p50 {result.p50:6.1f}  p95 {result.p95:6.1f}  p99 {result.p99:6.1f} ms"
                f"  cpu {result.server_ms:5.2f} + db {result.db_ms:5.2f} ms/req"
                + (
                    f"  plan {result.plan_ms:.2f} exec {result.exec_ms:.2f} ms/req"
                    if result.plan_ms is not None and result.exec_ms is not None
                    else ""
                )
                + f"  other {result.other_cores:.2f} CPUs"
                + (f"  ERRORS {result.errors}" if result.errors else "")
            )
    return results


# --- Report --------------------------------------------------------------------------------------


def machine(where: str) -> dict[str, str]:
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = "unknown"
    with contextlib.suppress(OSError, ValueError, IndexError):
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kib / 1024 / 1024:.1f} GiB"
    with pg_connect("postgres") as conn:
        shown = {
            name: str(value)
            for name, value in conn.execute(
                "SELECT name, current_setting(name) FROM pg_settings WHERE name = ANY(%s)",
                [["server_version", *PRODUCTION_POSTGRES, "shared_preload_libraries"]],
            ).fetchall()
        }
    settings = ", ".join(f"{name} {shown.get(name, '?')}" for name in PRODUCTION_POSTGRES)
    statements = "pg_stat_statements" in shown.get("shared_preload_libraries", "")
    return {
        "cpus": str(os.cpu_count()),
        "cpu": model,
        "memory": memory,
        "postgresql": (
            f"{shown.get('server_version', '?')}, {where} ({settings}"
            + (", pg_stat_statements timing planning" if statements else "")
            + ")"
        ),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def floor_of(results: list[Result], result: Result) -> Result | None:
    return next(
        (
            r
            for r in results
            if r.endpoint == "floor"
            and r.shape == result.shape
            and r.connections == result.connections
        ),
        None,
    )


def table_rows(results: list[Result]) -> list[list[str]]:
    rows = []
    for r in results:
        floor = floor_of(results, r)
        ratio = (
            f"{r.server_ms / floor.server_ms:.1f}×"
            if floor and floor.server_ms and r.endpoint != "floor"
            else ""
        )
        rows.append(
            [
                ENDPOINT_LABELS[r.endpoint],
                r.shape,
                str(r.connections),
                f"{r.rps:,.0f}",
                f"{r.p50:.1f}",
                f"{r.p95:.1f}",
                f"{r.p99:.1f}",
                f"{r.server_ms:.2f}",
                f"{r.db_ms:.2f}",
                "" if r.plan_ms is None else f"{r.plan_ms:.2f}",
                "" if r.exec_ms is None else f"{r.exec_ms:.2f}",
                ratio,
                f"{r.other_cores:.2f}",
                (f"{r.errors} (invalid)" if not r.valid else str(r.errors)) if r.errors else "",
            ]
        )
    return rows


HEADER = [
    "endpoint",
    "shape",
    "conns",
    "req/s",
    "p50 ms",
    "p95 ms",
    "p99 ms",
    "server CPU ms/req",
    "PostgreSQL CPU ms/req",
    "plan ms/req",
    "exec ms/req",
    "CPU × floor",
    "other load (CPUs)",
    "errors",
]


def text_table(rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(HEADER)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(HEADER, widths, strict=True))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines)


def markdown_table(rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + " --- |" * len(HEADER)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def pick(results: list[Result], shape: str, endpoint: str, connections: int) -> Result | None:
    return next(
        (
            r
            for r in results
            if (r.shape, r.endpoint, r.connections) == (shape, endpoint, connections) and r.valid
        ),
        None,
    )


def geometric_mean(values: Sequence[float]) -> float:
    return math.exp(sum(math.log(max(1e-6, v)) for v in values) / len(values))


def faster_shape(results: list[Result]) -> tuple[str, str] | None:
    """The shape that spends less server CPU per request (geometric mean over the app's
    endpoints measured validly in every shape, at the highest connection count): on a machine
    where the server, PostgreSQL and the load tool share two cores that is what decides
    throughput, and it is steadier than req/s when something else runs too. Req/s is shown."""
    shapes = sorted({r.shape for r in results})
    if len(shapes) < 2:
        return None
    top = max(r.connections for r in results)
    endpoints = [
        e
        for e in ENDPOINTS
        if e != "floor" and all(pick(results, shape, e, top) for shape in shapes)
    ]
    if not endpoints:
        return None
    cpu: dict[str, float] = {}
    rps: dict[str, float] = {}
    for shape in shapes:
        rows = [r for e in endpoints if (r := pick(results, shape, e, top))]
        cpu[shape] = geometric_mean([r.server_ms for r in rows])
        rps[shape] = geometric_mean([r.rps for r in rows])
    best = min(cpu, key=lambda s: cpu[s])
    parts = ", ".join(f"{s} {cpu[s]:.1f} ms and {rps[s]:,.0f} req/s" for s in shapes)
    return best, (
        f"{best}: server CPU per request {parts} (geometric means over "
        f"{', '.join(endpoints)} at {top} connections)"
    )


def target_lines(
    results: list[Result], listings: int, previous: dict[str, Any] | None
) -> list[str]:
    lines: list[str] = []
    for shape in sorted({r.shape for r in results}):

        def p95(endpoint: str, shape: str = shape) -> float | None:
            found = pick(results, shape, endpoint, 1)
            return found.p95 if found else None

        checks = []
        for endpoint, limit in (("feed", 20.0), ("search", 20.0), ("text", 60.0)):
            value = p95(endpoint)
            if value is not None:
                verdict = "met" if value < limit else f"missed by {value - limit:.1f} ms"
                checks.append(f"{endpoint} p95 {value:.1f} ms < {limit:.0f}: {verdict}")
        first, deep = p95("feed"), p95("feed_deep")
        if first and deep:
            ratio = deep / first
            checks.append(
                f"page 51+ p95 {ratio:.2f}× the first page's (≤ 1.5: "
                f"{'met' if ratio <= 1.5 else 'missed'})"
            )
        for count in sorted({r.connections for r in results}):
            feed = pick(results, shape, "feed", count)
            floor = pick(results, shape, "floor", count)
            if feed and floor and floor.server_ms:
                ratio = feed.server_ms / floor.server_ms
                checks.append(
                    f"feed CPU {ratio:.1f}× the floor's at {count} connection(s) "
                    f"(≤ 2: {'met' if ratio <= 2 else 'missed'})"
                )
        if previous and previous.get("listings", listings) < listings:
            for endpoint in ("feed", "search", "text", "detail"):
                now = p95(endpoint)
                before = previous.get("p95_c1", {}).get(shape, {}).get(endpoint)
                if now and before:
                    ratio = now / before
                    checks.append(
                        f"{endpoint} p95 {ratio:.2f}× the {previous['listings']:,}-listing run's"
                        f" (≤ 1.5: {'met' if ratio <= 1.5 else 'missed'})"
                    )
        lines.append(f"- **{shape}** (1 connection unless said): " + "; ".join(checks) + ".")
    return lines


def summary_data(results: list[Result], listings: int) -> dict[str, Any]:
    p95s: dict[str, dict[str, float]] = {}
    for r in results:
        if r.connections == 1:
            p95s.setdefault(r.shape, {})[r.endpoint] = round(r.p95, 2)
    return {"listings": listings, "p95_c1": p95s}


def previous_data(text: str, listings: int) -> dict[str, Any] | None:
    """The recorded run with the largest listing count below this one, for the scaling check."""
    found: dict[str, Any] | None = None
    for match in re.finditer(r"<!-- bench-data (\{.*?\}) -->", text):
        with contextlib.suppress(ValueError):
            data = json.loads(match.group(1))
            count = int(data.get("listings", 0))
            if count < listings and (found is None or count > found["listings"]):
                found = data
    return found


def record(
    results: list[Result],
    listings: int,
    seconds: float,
    info: dict[str, str],
    notes: list[str],
    path: Path,
) -> str:
    existing = path.read_text() if path.exists() else ""
    previous = previous_data(existing, listings)
    verdict = faster_shape(results)
    block = [
        f"<!-- bench-run listings={listings} start -->",
        f"### {listings:,} listings — {info['date']}",
        "",
        f"Machine: {info['cpus']} CPUs ({info['cpu']}), {info['memory']} RAM, PostgreSQL "
        f"{info['postgresql']}, Python {info['python']}, Linux {info['kernel']}; server, "
        "PostgreSQL and wrk on the same machine. "
        f"wrk {seconds:g} s per row after a warm-up, `Accept-Encoding: gzip`.",
        "",
        markdown_table(table_rows(results)),
        "",
    ]
    if verdict:
        block += [f"Faster shape: **{verdict[0]}** — {verdict[1]}.", ""]
    block += ["Targets:", "", *target_lines(results, listings, previous), ""]
    if notes:
        block += ["Notes from the run:", "", *(f"- {n}" for n in notes), ""]
    block += [
        f"<!-- bench-data {json.dumps(summary_data(results, listings), ensure_ascii=False)} -->",
        f"<!-- bench-run listings={listings} end -->",
    ]
    text = "\n".join(block)
    pattern = re.compile(
        rf"<!-- bench-run listings={listings} start -->.*?"
        rf"<!-- bench-run listings={listings} end -->",
        re.DOTALL,
    )
    if pattern.search(existing):
        updated = pattern.sub(lambda _m: text, existing)
    else:
        if not existing:
            existing = "# Performance\n\n## Recorded runs (written by `make bench`)\n"
        updated = existing.rstrip("\n") + "\n\n" + text + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(updated)
    return text


# --- Main ----------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--listings", type=int, default=100_000, help="listings to generate")
    parser.add_argument("--duration", type=float, default=10, help="seconds of wrk per row")
    parser.add_argument("--shapes", default="asgi,wsgi", help=f"of {', '.join(SHAPES)}")
    parser.add_argument("--connections", default="1,16", help="wrk connection counts")
    parser.add_argument(
        "--skip-load", action="store_true", help=f"use {DB_NAME} as it is, without copying"
    )
    parser.add_argument("--rebuild", action="store_true", help="rebuild the template database")
    parser.add_argument(
        "--source",
        choices=("head", "worktree"),
        default="head",
        help="serve the last commit (default) or the work tree as it is",
    )
    parser.add_argument(
        "--postgres",
        choices=("private", "shared"),
        default="private",
        help="the bench's own cluster with production's settings (default), or BENCH_PG_*'s",
    )
    parser.add_argument("--output", type=Path, default=DOC_PATH, help="Markdown file to record in")
    parser.add_argument("--no-record", action="store_true", help="print only")
    args = parser.parse_args(argv)
    args.shape_list = [s.strip() for s in args.shapes.split(",") if s.strip()]
    unknown = [s for s in args.shape_list if s not in SHAPES]
    if unknown:
        parser.error(f"unknown shape(s): {', '.join(unknown)}")
    args.connection_list = [int(c) for c in args.connections.split(",") if c.strip()]
    if args.listings < 1_000:
        parser.error("--listings must be at least 1000")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is missing: apt-get install wrk")
    if any(s.startswith("wsgi") for s in args.shape_list) and not (VENV_BIN / "gunicorn").exists():
        raise SystemExit("gunicorn is missing: pip install -r requirements.txt")
    started = time.monotonic()
    cluster = start_private_postgres() if args.postgres == "private" else None
    try:
        return run(args, wrk, started, cluster)
    finally:
        if cluster is not None:
            cluster.stop()


def start_private_postgres() -> Any:
    """The bench's own cluster (see PRIVATE_ROOT), started; PG_HOST and PG_PORT point at it."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from tests.servers import PrivatePostgres  # the fault tests' private clusters

    global PG_HOST, PG_PORT, PG_USER  # set once, before anything connects
    cluster = PrivatePostgres(
        PRIVATE_ROOT, "postgres", settings={**PRODUCTION_POSTGRES, **STATEMENT_STATS}
    )
    log(f"starting the bench's PostgreSQL in {PRIVATE_ROOT} (production's settings)")
    cluster.ensure()
    PG_HOST, PG_PORT, PG_USER = "127.0.0.1", cluster.port, "postgres"
    return cluster


def run(args: argparse.Namespace, wrk: str, started: float, cluster: Any) -> int:
    where = "the bench's own cluster" if cluster is not None else "the shared server"
    info = machine(where)
    timed = statement_stats_on()
    global SOURCE  # set once, before anything reads it
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        work = Path(tmp)
        SOURCE = snapshot(args.source, work)
        env = server_env(work)
        if args.skip_load:
            log(f"--skip-load: using {DB_NAME} as it is")
        else:
            prepare_database(args.listings, rebuild=args.rebuild, env=env)
        with contextlib.suppress(Exception):
            import redis  # the app's own dependency

            redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).flushdb()
        results: list[Result] = []
        gathered: Requests | None = None
        for shape in args.shape_list:
            server = Server(shape, env, work)
            log(f"starting {shape}: {SHAPES[shape]['label']} on {server.base}")
            server.start()
            try:
                if gathered is None:
                    gathered = gather(server.base)
                    for note in gathered.notes:
                        log(f"note: {note}")
                    counts = ", ".join(f"{k} {len(v)}" for k, v in gathered.paths.items())
                    log(f"request lists: {counts}")
                results += measure(
                    server, wrk, gathered, args.connection_list, args.duration, work, timed=timed
                )
            finally:
                server.stop()
        notes = list(gathered.notes) if gathered else []
    if not results:
        raise SystemExit("nothing was measured")
    rows = table_rows(results)
    print()  # noqa: T201
    print(f"{args.listings:,} listings, {info['cpus']} CPUs, {info['cpu']}")  # noqa: T201
    print(text_table(rows))  # noqa: T201
    verdict = faster_shape(results)
    if verdict:
        print(f"\nFaster shape: {verdict[1]}")  # noqa: T201
    existing = args.output.read_text() if args.output.exists() else ""
    for line in target_lines(results, args.listings, previous_data(existing, args.listings)):
        print(line.replace("**", ""))  # noqa: T201
    if not args.no_record:
        record(results, args.listings, args.duration, info, notes, args.output)
        log(f"recorded in {args.output}")
    log(f"done in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
