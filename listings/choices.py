"""The choice lists of listings: categories, statuses, currencies, the details' options, media
and reports. The models and serializers use them; `listings.models` re-exports them."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    CAR = "car", _("Car")
    HORSE = "horse", _("Horse")
    REAL_ESTATE = "real_estate", _("Real estate")


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PENDING_REVIEW = "pending_review", _("Pending review")
    ACTIVE = "active", _("Active")
    REJECTED = "rejected", _("Rejected")
    SOLD = "sold", _("Sold")
    PAUSED = "paused", _("Paused")
    ARCHIVED = "archived", _("Archived")


# Statuses that count against a user's personal listing quota.
QUOTA_STATUSES = (Status.DRAFT, Status.PENDING_REVIEW, Status.ACTIVE)


class Currency(models.TextChoices):
    KZT = "KZT", "KZT"
    KGS = "KGS", "KGS"
    USD = "USD", "USD"


class CarBody(models.TextChoices):
    SEDAN = "sedan", _("Sedan")
    HATCHBACK = "hatchback", _("Hatchback")
    WAGON = "wagon", _("Wagon")
    SUV = "suv", _("SUV")
    COUPE = "coupe", _("Coupe")
    MINIVAN = "minivan", _("Minivan")
    PICKUP = "pickup", _("Pickup")
    VAN = "van", _("Van")
    TRUCK = "truck", _("Truck")


class Fuel(models.TextChoices):
    PETROL = "petrol", _("Petrol")
    DIESEL = "diesel", _("Diesel")
    GAS = "gas", _("Gas")
    HYBRID = "hybrid", _("Hybrid")
    ELECTRIC = "electric", _("Electric")


class Transmission(models.TextChoices):
    MANUAL = "manual", _("Manual")
    AUTOMATIC = "automatic", _("Automatic")
    ROBOT = "robot", _("Robot")
    CVT = "cvt", _("CVT")


class Drive(models.TextChoices):
    FWD = "fwd", _("Front-wheel drive")
    RWD = "rwd", _("Rear-wheel drive")
    AWD = "awd", _("All-wheel drive")


class Steering(models.TextChoices):
    LEFT = "left", _("Left-hand drive")
    RIGHT = "right", _("Right-hand drive")


class Condition(models.TextChoices):
    NEW = "new", _("New")
    USED = "used", _("Used")
    DAMAGED = "damaged", _("Damaged")


class HorseSex(models.TextChoices):
    STALLION = "stallion", _("Stallion")
    MARE = "mare", _("Mare")
    GELDING = "gelding", _("Gelding")


class HorsePurpose(models.TextChoices):
    KOK_BORU = "kok_boru", _("Kok-boru")
    RACING = "racing", _("Racing")
    BREEDING = "breeding", _("Breeding")
    RIDING = "riding", _("Riding")
    MEAT = "meat", _("Meat")
    DAIRY = "dairy", _("Dairy (kymyz)")


class PropertyType(models.TextChoices):
    APARTMENT = "apartment", _("Apartment")
    HOUSE = "house", _("House")
    LAND = "land", _("Land")
    COMMERCIAL = "commercial", _("Commercial")


class DealType(models.TextChoices):
    SALE = "sale", _("Sale")
    RENT = "rent", _("Rent")


class MediaKind(models.TextChoices):
    VIDEO = "video", _("Video")
    IMAGE = "image", _("Image")
    PANORAMA = "panorama", _("360° panorama")


class MediaProcessing(models.TextChoices):
    """Videos get a poster, a duration and an H.264 rendition in the background."""

    PENDING = "pending", _("Pending")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


class ReportReason(models.TextChoices):
    SPAM = "spam", _("Spam")
    FRAUD = "fraud", _("Fraud")
    PROHIBITED = "prohibited", _("Prohibited item")
    WRONG_CATEGORY = "wrong_category", _("Wrong category")
    DUPLICATE = "duplicate", _("Duplicate")
    OTHER = "other", _("Other")


class ReportStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DISMISSED = "dismissed", _("Dismissed as unfounded")
    UPHELD = "upheld", _("Upheld")
