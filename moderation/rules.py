"""Built-in moderation rules: the pre-check when no AI is configured, and a floor under the AI.

Pure code: no models, no database. The caller gathers a `ListingSnapshot`; `evaluate()` runs
every rule on it. A rule is a small function that returns a `Finding` (risk points, a short
reason for the moderators' console, reason codes) or None. The listing's risk is the sum of
the points, clamped to 0-100:

- a prohibited item (weapons, drugs, forged documents, protected wildlife) → `reject`, risk at
  least 80 — still only advice: a moderator decides;
- any other finding, or a risk of 30 or more → `needs_review`;
- nothing found → `approve` with a low risk (5).

Word lists are short and curated (Russian, Kyrgyz, English). Terms match whole words,
case-insensitively; a term may allow a few letters of inflection (`пистолет\\w{0,3}`), but never
a bare stem that also starts harmless words (`гранат` is a car colour, `курал` also means "tool").
"""

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

VERDICTS = ("approve", "reject", "needs_review")
REASON_CODES = (
    "prohibited_item",
    "fraud_suspected",
    "bad_media",
    "wrong_category",
    "wrong_price",
    "contact_in_text",
    "duplicate",
    "other",
)
SOURCES = ("anthropic", "rules")


@dataclass(frozen=True)
class Image:
    media_type: str  # image/jpeg, image/png, image/gif or image/webp
    data: bytes


@dataclass(frozen=True)
class ListingSnapshot:
    """What the pre-check sees of a listing; the caller gathers it (no database access here)."""

    category: str  # car | horse | real_estate
    title: str
    description: str
    price: Decimal
    currency: str  # KGS | KZT | USD
    price_kgs: Decimal
    city: str
    details: dict[str, Any]  # the category's details, plain JSON-able values
    seller_account_age_days: int
    seller_active_listings: int
    seller_rejected_listings: int
    seller_listings_last_24h: int
    similar_median_price_kgs: Decimal | None  # median of similar active listings, if enough
    duplicate_listings: int  # active or pending listings with the same title and description
    images: tuple[Image, ...] = ()  # up to 4
    region: str = ""


@dataclass(frozen=True)
class Verdict:
    verdict: str  # approve | reject | needs_review
    risk_score: int  # 0..100
    reasons: list[str]  # short English sentences for the moderators' console
    reason_codes: list[str]  # a subset of REASON_CODES
    source: str  # anthropic | rules


class Finding(NamedTuple):
    points: int
    reason: str
    codes: tuple[str, ...]


Rule = Callable[[ListingSnapshot], Finding | None]

REVIEW_THRESHOLD = 30
REJECT_FLOOR = 80
CLEAN_RISK = 5

PROHIBITED_POINTS = 80
PREPAYMENT_POINTS = 40
CONTACT_POINTS = 35
PRICE_TOO_LOW_POINTS = 40
PRICE_TOO_HIGH_POINTS = 30
DUPLICATE_POINTS = 35
NEW_SELLER_BURST_POINTS = 40
REJECTION_HISTORY_POINTS = 20

PRICE_TOO_LOW_RATIO = Decimal("0.4")  # below 40% of the median of similar listings
PRICE_TOO_HIGH_RATIO = Decimal("3")  # above 300%
NEW_SELLER_DAYS = 2
NEW_SELLER_BURST_LISTINGS = 4
REJECTION_HISTORY_LISTINGS = 3


def _words(*terms: str) -> re.Pattern[str]:
    """One pattern for whole-word terms (regex fragments), case-insensitive."""
    return re.compile(r"(?<!\w)(?:" + "|".join(terms) + r")(?!\w)", re.IGNORECASE)


PROHIBITED: dict[str, re.Pattern[str]] = {
    "weapons": _words(
        # ru
        r"оружи(?:е|я|ю|ем)",
        r"огнестрел\w*",
        r"пистолет\w{0,3}(?!\s+для)",  # not "пистолет для подкачки шин"
        r"револьвер\w{0,3}",
        r"автомат\w{0,2} калашникова",
        r"ружь(?:е|я|ю|ем)",
        r"патрон(?:ы|ов|ами)",
        r"боеприпас\w*",
        r"травмат(?:а|ы|ом)?",
        r"гранатом[её]т\w*",
        r"взрывчатк\w*",
        r"тротил\w*",
        # ky
        r"курал-жарак\w*",
        r"ок атуучу курал\w*",
        r"мылтык\w*",
        r"тапанча\w*",
        r"ок-дары\w*",
        # en
        r"firearms?",
        r"(?:hand|shot)?guns?",
        r"pistols?",
        r"rifles?",
        r"revolvers?",
        r"ammunition",
        r"ammo",
        r"grenades?",
        r"explosives?",
    ),
    "drugs": _words(
        # ru
        r"наркотик\w*",
        r"марихуан\w*",
        r"гашиш\w*",
        r"анаш\w*",
        r"героин(?:а|ом)?",  # not "героиня"
        r"кокаин\w*",
        r"амфетамин\w*",
        r"мефедрон\w*",
        # ky
        r"баңгизат\w*",
        r"апийим\w*",
        # en
        r"narcotics?",
        r"marijuana",
        r"cannabis",
        r"hashish",
        r"heroin",
        r"cocaine",
        r"meth(?:amphetamine)?",
        r"mdma",
    ),
    "forged documents": _words(
        # ru
        r"поддельн\w*",
        r"фальшив\w*",
        r"права без экзамен\w*",
        # ky
        r"жасалма\w*",
        # en
        r"(?:fake|forged|counterfeit) "
        r"(?:passports?|ids?|documents?|papers|licen[cs]es?|diplomas?|money|banknotes)",
    ),
    "protected wildlife": _words(
        # ru
        r"снежн\w* барс\w*",
        r"ирбис\w*",
        r"архар\w*",
        r"беркут\w*",
        r"балобан\w*",
        r"краснокнижн\w*",
        # ky
        r"илбирс\w*",
        r"аркар\w*",
        r"бүркүт\w*",
        # en
        r"snow leopards?",
        r"argali",
        r"golden eagles?",
        r"saker falcons?",
        r"endangered species",
    ),
}
# "The Red Book" of endangered species; but in Kyrgyzstan "красная книга" is also what people
# call a property's title deed, so for real estate it is a document in order, not an animal.
RED_BOOK = _words(r"красн\w* книг\w*", r"кызыл китеп\w*", r"red book")

PREPAYMENT = _words(
    # ru
    r"без предоплат\w* не (?:звонить|звоните|беспокоить|писать|пишите)",
    r"только (?:по )?предоплат\w*",
    r"предоплат\w* обязательн\w*",
    r"(?:обязательная|требуется|нужна|сначала) предоплат\w*",
    r"предоплат\w* на карт\w*",
    # ky
    r"алдын[- ]ала төлөм\w* (?:гана|милдеттүү|керек)",
    r"алдын[- ]ала төлөмсүз (?:чалба|жазба)\w*",
    # en
    r"prepayment only",
    r"only (?:with |by )?prepayment",
    r"no calls without (?:a )?prepayment",
    r"(?:prepayment|advance payment) (?:is )?required",
    r"prepayment to (?:a |the |my )?card",
    r"western union",
)

_SEP = r"[\s\-()]*"
CONTACTS: dict[str, re.Pattern[str]] = {
    "phone number": re.compile(
        # +996 700 123 456, 996555123456 / 0700 123 456, 0555 12 34 56, (0312) 62-12-34 /
        # Kazakh and Russian +7 701 123 45 67, 8 701 123 45 67.
        rf"(?<![\d+])\+?{_SEP}996(?:{_SEP}\d){{9}}(?!\d)"
        rf"|(?<![\d+])\(?0{_SEP}[2-9](?:{_SEP}\d){{8}}(?!\d)"
        rf"|\+{_SEP}7(?:{_SEP}\d){{10}}(?!\d)"
        rf"|(?<![\d+])8{_SEP}7(?:{_SEP}\d){{9}}(?!\d)"
    ),
    "link": re.compile(
        r"https?://\S+"
        r"|(?<![\w.])www\.\S+"
        r"|(?<![\w@.\-])[a-z0-9][a-z0-9\-]*\.(?:kg|kz|ru|uz|tj|su|com|net|org|info|me|io)(?![\w.])"
        r"|[\w.+\-]+@[a-z0-9\-]+\.[a-z]{2,}",
        re.IGNORECASE,
    ),
    "@handle": re.compile(r"(?<![\w@.])@[a-z0-9_]{3,32}(?!\w)", re.IGNORECASE),
    "messenger": _words(
        r"whats ?app",
        r"watsapp",
        r"ватсап\w*",
        r"вотсап\w*",
        r"вацап\w*",
        r"ватцап\w*",
        r"telegram",
        r"телеграм\w*",
        r"viber",
        r"вайбер\w*",
        r"instagram",
        r"инстаграм\w*",
    ),
}


def _normalize(text: str) -> str:
    return text.replace("ё", "е").replace("Ё", "Е")


def _detail_texts(value: Any) -> Iterator[str]:
    """Every string inside the details, however nested."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _detail_texts(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _detail_texts(item)


def _ad_text(snapshot: ListingSnapshot) -> str:
    """Every free text a buyer reads on the card or the page, but the details."""
    return _normalize(
        "\n".join([snapshot.title, snapshot.description, snapshot.city, snapshot.region])
    )


def _all_text(snapshot: ListingSnapshot) -> str:
    return "\n".join([_ad_text(snapshot), *map(_normalize, _detail_texts(snapshot.details))])


def prohibited_items(snapshot: ListingSnapshot) -> Finding | None:
    text = _all_text(snapshot)
    found = []
    for label, pattern in PROHIBITED.items():
        match = pattern.search(text)
        if match:
            found.append(f'{label}: "{match.group(0)}"')
    red_book = RED_BOOK.search(text) if snapshot.category != "real_estate" else None
    if red_book and not any(f.startswith("protected wildlife") for f in found):
        found.append(f'protected wildlife: "{red_book.group(0)}"')
    if not found:
        return None
    return Finding(PROHIBITED_POINTS, f"Prohibited item ({'; '.join(found)})", ("prohibited_item",))


def prepayment_demand(snapshot: ListingSnapshot) -> Finding | None:
    match = PREPAYMENT.search(_all_text(snapshot))
    if not match:
        return None
    return Finding(
        PREPAYMENT_POINTS,
        f'Demands prepayment, a common scam ("{match.group(0)}")',
        ("fraud_suspected",),
    )


def contacts_in_text(snapshot: ListingSnapshot) -> Finding | None:
    text = _ad_text(snapshot)
    kinds = [kind for kind, pattern in CONTACTS.items() if pattern.search(text)]
    if not kinds:
        return None
    return Finding(
        CONTACT_POINTS,
        f"Contact details in the text ({', '.join(kinds)}); buyers must use the app's chat",
        ("contact_in_text",),
    )


def price_far_from_median(snapshot: ListingSnapshot) -> Finding | None:
    median = snapshot.similar_median_price_kgs
    if median is None or median <= 0 or snapshot.price_kgs <= 0:
        return None
    ratio = snapshot.price_kgs / median
    if ratio < PRICE_TOO_LOW_RATIO:
        return Finding(
            PRICE_TOO_LOW_POINTS,
            f"Price is {ratio:.0%} of the median of similar listings: too good to be true?",
            ("wrong_price", "fraud_suspected"),
        )
    if ratio > PRICE_TOO_HIGH_RATIO:
        return Finding(
            PRICE_TOO_HIGH_POINTS,
            f"Price is {ratio:.1f} times the median of similar listings",
            ("wrong_price",),
        )
    return None


def duplicates(snapshot: ListingSnapshot) -> Finding | None:
    count = snapshot.duplicate_listings
    if count <= 0:
        return None
    noun = "listing" if count == 1 else "listings"
    return Finding(
        DUPLICATE_POINTS,
        f"Same title and description as {count} other active or pending {noun}",
        ("duplicate",),
    )


def new_seller_burst(snapshot: ListingSnapshot) -> Finding | None:
    if (
        snapshot.seller_account_age_days >= NEW_SELLER_DAYS
        or snapshot.seller_listings_last_24h < NEW_SELLER_BURST_LISTINGS
    ):
        return None
    return Finding(
        NEW_SELLER_BURST_POINTS,
        f"New account ({snapshot.seller_account_age_days} days old) posted "
        f"{snapshot.seller_listings_last_24h} listings in 24 hours",
        ("fraud_suspected",),
    )


def rejection_history(snapshot: ListingSnapshot) -> Finding | None:
    if snapshot.seller_rejected_listings < REJECTION_HISTORY_LISTINGS:
        return None
    # A fact about the seller, not this listing: risk, but no reason code.
    return Finding(
        REJECTION_HISTORY_POINTS,
        f"Seller has {snapshot.seller_rejected_listings} rejected listings",
        (),
    )


RULES: tuple[Rule, ...] = (
    prohibited_items,
    prepayment_demand,
    contacts_in_text,
    price_far_from_median,
    duplicates,
    new_seller_burst,
    rejection_history,
)


def unique(items: Iterable[str]) -> list[str]:
    """The items without repeats, first occurrence first."""
    return list(dict.fromkeys(items))


def evaluate(snapshot: ListingSnapshot) -> Verdict:
    findings = [finding for rule in RULES if (finding := rule(snapshot)) is not None]
    reasons = [finding.reason for finding in findings]
    codes = unique(code for finding in findings for code in finding.codes)
    risk = max(0, min(100, sum(finding.points for finding in findings)))
    if "prohibited_item" in codes:
        return Verdict("reject", max(risk, REJECT_FLOOR), reasons, codes, "rules")
    if findings or risk >= REVIEW_THRESHOLD:
        return Verdict("needs_review", risk, reasons, codes, "rules")
    return Verdict("approve", CLEAN_RISK, [], [], "rules")
