"""Listings of cars, horses and real estate: one table, one details table per category."""

import uuid
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from .choices import (  # noqa: F401 - re-exported: the choices are part of the models' API
    QUOTA_STATUSES,
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
    MediaProcessing,
    PropertyType,
    ReportReason,
    ReportStatus,
    Status,
    Steering,
    Transmission,
)

PRICE_CEILING = Decimal("1000000000000")  # above any horse, car or house in KGS


class ExchangeRate(models.Model):
    """How many KGS one unit of a currency buys; staff keep these in the admin."""

    currency = models.CharField(max_length=3, choices=Currency.choices, primary_key=True)
    kgs_per_unit = models.DecimalField(
        _("KGS per unit"),
        max_digits=14,
        decimal_places=6,
        validators=[MinValueValidator(Decimal("0.000001"))],
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        constraints = (
            models.CheckConstraint(name="rate_positive", condition=Q(kgs_per_unit__gt=0)),
        )

    def __str__(self) -> str:
        return f"1 {self.currency} = {self.kgs_per_unit} KGS"


class Listing(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Both keys are indexed by the (key, status) indexes below, which answer a lookup of
    # the key alone as well: a second index of the key alone would only cost writes.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="listings",
        db_index=False,
    )
    business = models.ForeignKey(
        "business.Business",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="listings",
        db_index=False,
    )
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), max_length=5000, blank=True)
    price = models.DecimalField(_("price"), max_digits=15, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    # The price in every currency at the staff-kept rates, so filters and sorts compare like
    # with like; recomputed for every listing when a rate changes.
    price_kgs = models.DecimalField(max_digits=17, decimal_places=2)
    price_kzt = models.DecimalField(max_digits=17, decimal_places=2)
    price_usd = models.DecimalField(max_digits=17, decimal_places=2)
    is_negotiable = models.BooleanField(_("negotiable"), default=False)
    city = models.CharField(_("city"), max_length=100)
    region = models.CharField(_("region"), max_length=100, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    hide_phone = models.BooleanField(_("hide phone"), default=False)
    views_count = models.PositiveIntegerField(default=0)
    favorites_count = models.PositiveIntegerField(default=0)
    phone_reveals_count = models.PositiveIntegerField(default=0)
    # The current continuous boost: [boost_started_at, boosted_until). The feed asks "boosted
    # when the scroll began", which needs the start as well as the end.
    boost_started_at = models.DateTimeField(null=True, blank=True)
    boosted_until = models.DateTimeField(null=True, blank=True)
    client_id = models.CharField(max_length=64, blank=True, default="")
    rejection_code = models.CharField(max_length=32, blank=True)
    rejection_note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # When it last entered pending_review: how long it has waited in the moderation queue.
    review_requested_at = models.DateTimeField(null=True, blank=True)
    # The card's cover, copied from the media by the media services so a page of cards needs
    # no media query: the first video (its rendition once made) with its poster, and the
    # first photo or panorama. Storage names; blank when there is none.
    cover_video = models.CharField(max_length=200, blank=True, default="", editable=False)
    cover_poster = models.CharField(max_length=200, blank=True, default="", editable=False)
    cover_image = models.CharField(max_length=200, blank=True, default="", editable=False)
    # Full-text document (title weighted A; description and details B), kept up to date by
    # the services on every write; PostgreSQL only (its GIN index is in migration 0006).
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        verbose_name = _("listing")
        verbose_name_plural = _("listings")
        ordering = ("-created_at",)
        constraints = (
            models.CheckConstraint(
                name="listing_price_in_range",
                condition=Q(price__gt=0) & Q(price__lt=PRICE_CEILING),
            ),
            models.CheckConstraint(
                name="listing_status_valid", condition=Q(status__in=Status.values)
            ),
            models.CheckConstraint(
                name="listing_category_valid", condition=Q(category__in=Category.values)
            ),
            models.CheckConstraint(
                name="listing_location_pair",
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
            ),
            # Offline drafts are retried by the app: one listing per author and client id.
            models.UniqueConstraint(
                fields=("author", "client_id"),
                condition=~Q(client_id=""),
                name="listing_unique_client_id",
            ),
        )
        indexes = (
            models.Index(fields=("author", "status"), name="listing_author_status_idx"),
            models.Index(fields=("business", "status"), name="listing_business_status_idx"),
            # The feed's unboosted part and search's default order: newest active first,
            # walked by keyset (published_at, id) — never OFFSET.
            models.Index(
                F("published_at").desc(),
                F("id").desc(),
                name="listing_active_newest_idx",
                condition=Q(status="active"),
            ),
            # The feed with ?category= (and search by category alone).
            models.Index(
                "category",
                F("published_at").desc(),
                F("id").desc(),
                name="listing_active_cat_newest_idx",
                condition=Q(status="active"),
            ),
            # The feed's boosted part, walked newest first like the rest: only listings that
            # were ever boosted are in it, and a page stops after 21 rows instead of sorting
            # every boosted listing.
            models.Index(
                F("published_at").desc(),
                F("id").desc(),
                name="listing_active_boosted_idx",
                condition=Q(status="active", boosted_until__isnull=False),
            ),
            # Price sorts and ranges, in each currency (prices are stored converted).
            *(
                models.Index(
                    fields=(f"price_{code}", "id"),
                    name=f"listing_active_price_{code}_idx",
                    condition=Q(status="active"),
                )
                for code in ("kgs", "kzt", "usd")
            ),
            # Price order within a category, and within a category in one city: the walk in
            # price order then reads no other category's (or city's) rows. Without them, "cars,
            # Lexus, dearest first" read 67,000 dearer houses to find 21 cars.
            *(
                models.Index(
                    F("category"),
                    F(f"price_{code}"),
                    F("id"),
                    name=f"listing_cat_price_{code}_idx",
                    condition=Q(status="active"),
                )
                for code in ("kgs", "kzt", "usd")
            ),
            *(
                models.Index(
                    F("category"),
                    Upper("city"),
                    F(f"price_{code}"),
                    F("id"),
                    name=f"listing_cat_city_price_{code}_idx",
                    condition=Q(status="active"),
                )
                for code in ("kgs", "kzt", "usd")
            ),
            # City and region filters match case-insensitively (UPPER(...) = UPPER(...)).
            models.Index(
                Upper("city"), name="listing_active_city_idx", condition=Q(status="active")
            ),
            models.Index(
                Upper("region"), name="listing_active_region_idx", condition=Q(status="active")
            ),
            # The pre-check's count of duplicates: the same title and description, ignoring
            # case, among active and pending listings (moderation.services._snapshot). The
            # title narrows it to the few listings that share it (390 at most among 100,000
            # generated ones); the description is not indexed, and could not be: a btree entry
            # holds about 2,700 bytes, and 5,000 Cyrillic characters take 10,000.
            models.Index(
                Upper("title"),
                name="listing_title_upper_idx",
                condition=Q(status__in=(Status.ACTIVE, Status.PENDING_REVIEW)),
            ),
        )

    def __str__(self) -> str:
        return self.title


VIN_VALIDATOR = RegexValidator(
    r"^[A-HJ-NPR-Z0-9]{17}$", _("A VIN has 17 letters and digits, without I, O or Q.")
)


class CarDetails(models.Model):
    listing = models.OneToOneField(
        Listing, primary_key=True, on_delete=models.CASCADE, related_name="car"
    )
    make = models.CharField(max_length=100)
    model = models.CharField(max_length=100)
    year = models.PositiveSmallIntegerField()
    mileage_km = models.PositiveIntegerField()
    vin = models.CharField(max_length=17, blank=True, validators=[VIN_VALIDATOR])
    body_type = models.CharField(max_length=16, choices=CarBody.choices, blank=True)
    fuel = models.CharField(max_length=16, choices=Fuel.choices, blank=True)
    transmission = models.CharField(max_length=16, choices=Transmission.choices, blank=True)
    drive = models.CharField(max_length=8, choices=Drive.choices, blank=True)
    steering = models.CharField(max_length=8, choices=Steering.choices, blank=True)
    engine_volume_l = models.DecimalField(
        max_digits=3,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.1")), MaxValueValidator(Decimal("20"))],
    )
    color = models.CharField(max_length=100, blank=True)
    condition = models.CharField(max_length=16, choices=Condition.choices, blank=True)
    customs_cleared = models.BooleanField(null=True, blank=True)
    damage_report = models.TextField(max_length=5000, blank=True)

    class Meta:
        constraints = (
            models.CheckConstraint(name="car_year_plausible", condition=Q(year__gte=1950)),
        )
        indexes = (
            # Make and model filters are case-insensitive: index what they compare.
            models.Index(Upper("make"), Upper("model"), name="car_make_model_idx"),
            models.Index(fields=("year",), name="car_year_idx"),
            models.Index(fields=("mileage_km",), name="car_mileage_idx"),
            models.Index(fields=("fuel", "transmission", "body_type"), name="car_choices_idx"),
        )

    def __str__(self) -> str:
        return f"{self.make} {self.model} {self.year}"


class HorseDetails(models.Model):
    listing = models.OneToOneField(
        Listing, primary_key=True, on_delete=models.CASCADE, related_name="horse"
    )
    breed = models.CharField(max_length=100)
    sex = models.CharField(max_length=16, choices=HorseSex.choices)
    birth_year = models.PositiveSmallIntegerField()
    height_cm = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(50), MaxValueValidator(220)]
    )
    color = models.CharField(max_length=100, blank=True)
    purpose = models.CharField(max_length=16, choices=HorsePurpose.choices, blank=True)
    pedigree = models.TextField(max_length=5000, blank=True)
    vaccinated = models.BooleanField(null=True, blank=True)

    class Meta:
        indexes = (
            models.Index(Upper("breed"), name="horse_breed_idx"),
            models.Index(fields=("sex", "purpose"), name="horse_sex_purpose_idx"),
        )

    def __str__(self) -> str:
        return f"{self.breed} {self.sex} {self.birth_year}"


class RealEstateDetails(models.Model):
    listing = models.OneToOneField(
        Listing, primary_key=True, on_delete=models.CASCADE, related_name="real_estate"
    )
    property_type = models.CharField(max_length=16, choices=PropertyType.choices)
    deal_type = models.CharField(max_length=8, choices=DealType.choices)
    area_m2 = models.DecimalField(max_digits=10, decimal_places=2)
    rooms = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    floor = models.SmallIntegerField(null=True, blank=True)
    floors_total = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(200)]
    )
    land_area_sotka = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    building_series = models.CharField(max_length=100, blank=True)
    has_documents = models.BooleanField(null=True, blank=True)
    address = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = (
            models.CheckConstraint(name="estate_area_positive", condition=Q(area_m2__gt=0)),
            models.CheckConstraint(
                name="estate_floor_within_building",
                condition=Q(floor__isnull=True)
                | Q(floors_total__isnull=True)
                | Q(floor__lte=models.F("floors_total")),
            ),
        )
        indexes = (
            models.Index(fields=("property_type", "deal_type", "rooms"), name="estate_kind_idx"),
            models.Index(fields=("area_m2",), name="estate_area_idx"),
        )

    def __str__(self) -> str:
        return f"{self.property_type} {self.area_m2} m²"


def details_of(listing: Listing) -> "CarDetails | HorseDetails | RealEstateDetails":
    """The listing's category details row; ObjectDoesNotExist when it has none (yet)."""
    return getattr(listing, listing.category)


def media_upload_to(instance: "ListingMedia", filename: str) -> str:
    # Unguessable, and nothing of the uploader's file name (which may carry a path).
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"listings/{instance.listing_id}/{uuid.uuid4().hex}.{extension[:5]}"


class ListingMedia(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="media")
    kind = models.CharField(max_length=16, choices=MediaKind.choices)
    file = models.FileField(upload_to=media_upload_to, max_length=200)
    poster = models.FileField(upload_to=media_upload_to, max_length=200, blank=True)
    thumbnail = models.FileField(upload_to=media_upload_to, max_length=200, blank=True)
    rendition = models.FileField(upload_to=media_upload_to, max_length=200, blank=True)
    duration_s = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    processing = models.CharField(
        max_length=16, choices=MediaProcessing.choices, default=MediaProcessing.READY
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("position", "created_at")

    def __str__(self) -> str:
        return f"{self.kind} of {self.listing_id}"


class Favorite(models.Model):
    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="favorites"
    )
    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="favorited_by")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=("user", "listing"), name="favorite_unique_pair"),
        )

    def __str__(self) -> str:
        return f"{self.user_id} ♥ {self.listing_id}"


class Report(models.Model):
    """A user's complaint about a listing; one per user and listing."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports"
    )
    reason = models.CharField(max_length=16, choices=ReportReason.choices)
    comment = models.TextField(max_length=1000, blank=True)
    status = models.CharField(
        max_length=16, choices=ReportStatus.choices, default=ReportStatus.OPEN
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = (
            models.UniqueConstraint(fields=("listing", "reporter"), name="report_once_per_user"),
        )
        indexes = (models.Index(fields=("listing", "status"), name="report_listing_status_idx"),)

    def __str__(self) -> str:
        return f"{self.reason} report on {self.listing_id}"
