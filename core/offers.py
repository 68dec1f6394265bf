"""What every plan sold for money has — boosts (promotions) and subscriptions (business): data
staff edit in the admin, priced in one currency, named in the three languages."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _


class Offer(models.Model):
    code = models.SlugField(_("code"), max_length=32, primary_key=True)
    name = models.CharField(_("name (Russian)"), max_length=100)
    name_ky = models.CharField(_("name (Kyrgyz)"), max_length=100, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    # A plan is never free: a zero-amount payment is one no provider takes.
    price = models.DecimalField(
        _("price"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("1"))]
    )
    currency = models.CharField(
        _("currency"), max_length=3, choices=[(code, code) for code in settings.CURRENCIES]
    )
    is_active = models.BooleanField(_("on sale"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.code

    def localized_name(self) -> str:
        """The name in the active language, falling back to the Russian one."""
        language = translation.get_language() or ""
        return {"ky": self.name_ky, "en": self.name_en}.get(language[:2]) or self.name


def offer_save(*, offer: Offer) -> None:
    """Staff's edit of a plan, checked as the model's validators say. What is bought after it
    costs the new price; payments already started keep theirs (each stores its amount)."""
    offer.full_clean()
    offer.save()
