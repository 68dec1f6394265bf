"""Buying a business subscription through the project's one payment mechanism.

`business` owns the subscription and its orders but sits below `promotions`, so the payment
side lives here: the `subscription` payment purpose (registered in PromotionsConfig.ready())
hands each payment change to the business services, and `POST /business/{id}/subscription/`
creates the payment exactly as buying a boost does.
"""

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import request_user
from accounts.models import User
from business.exceptions import NotBusinessAdmin
from business.models import Business, SubscriptionPlan
from business.permissions import business_get_for_admin
from business.selectors import subscription_plans_on_sale
from business.services.subscriptions import (
    subscription_order_create,
    subscription_order_failed,
    subscription_order_paid,
    subscription_order_refunded,
)
from core.schema import error_codes

from .models import Payment
from .serializers import CheckoutPaymentSerializer
from .services.payments import payment_purchase

PURPOSE = "subscription"


class SubscriptionPurpose:
    """What a payment's state means for its subscription order (the `subscription` purpose).

    Called with the payment row locked; the business services take the business's lock, then
    the order's.
    """

    def succeeded(self, payment: Payment, *, actor: Any) -> None:
        subscription_order_paid(payment_id=payment.pk, actor=actor)

    def failed(self, payment: Payment, *, actor: Any, expired: bool) -> None:
        subscription_order_failed(payment_id=payment.pk, actor=actor, expired=expired)

    def refunded(self, payment: Payment, *, actor: Any) -> None:
        subscription_order_refunded(payment_id=payment.pk, actor=actor)


def subscription_purchase(*, business: Business, plan: SubscriptionPlan, buyer: User) -> Payment:
    """Start paying for `plan` (the caller is the business's admin): an order waiting for its
    payment, registered with the provider. Paid, the subscription is `active`."""
    return payment_purchase(
        payer=buyer,
        purpose=PURPOSE,
        offer=plan,
        description=f"{plan.localized_name()}: {business.name}",
        bind=lambda payment: subscription_order_create(
            business=business, plan=plan, buyer=buyer, payment_id=payment.pk
        ),
    )


class SubscriptionBuySerializer(serializers.Serializer):
    plan = serializers.SlugRelatedField(
        slug_field="code",
        queryset=subscription_plans_on_sale(),
        error_messages={"does_not_exist": _("Unknown plan."), "invalid": _("Unknown plan.")},
    )


class SubscriptionView(APIView):
    @extend_schema(
        request=SubscriptionBuySerializer,
        responses={201: CheckoutPaymentSerializer},
        operation_id="business_subscription_buy",
        summary="Buy a business subscription",
        description="The business's admins (a seller: 403; anyone else: 404). 503 when the "
        "payment provider cannot be reached; poll `GET /payments/{id}/` after checkout. Paid, "
        "the subscription is `active` until `current_period_end`, extended from the current "
        "end when renewing.",
    )
    @error_codes(NotBusinessAdmin)
    def post(self, request: Request, pk: Any) -> Response:
        business = business_get_for_admin(user=request.user, business_id=pk)
        serializer = SubscriptionBuySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        payment = subscription_purchase(
            business=business,
            plan=serializer.validated_data["plan"],
            buyer=request_user(request),
        )
        data = CheckoutPaymentSerializer(payment, context={"request": request}).data
        return Response(data, status=status.HTTP_201_CREATED)
