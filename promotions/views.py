from typing import Any, cast

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_protect
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import request_user
from business.exceptions import NotBusinessAdmin
from business.permissions import business_get_for_admin
from core.client_ip import is_local_caller
from core.errors import DomainError
from core.schema import NOT_FOUND, error_codes
from listings.selectors import listing_get_for_editor

from .exceptions import ListingNotActive, SignatureInvalid
from .models import Payment, PaymentStatus, Promotion
from .providers import UnknownProvider, get_provider
from .providers import test as test_provider
from .providers.base import EventStatus, InvalidSignature, MalformedEvent, WebhookOutcome
from .selectors import payment_get_for_payer, plans_on_sale, promotions_of_user
from .serializers import (
    CheckoutPaymentSerializer,
    PaymentSerializer,
    PlanSerializer,
    PromotionCreatedSerializer,
    PromotionCreateSerializer,
    PromotionSerializer,
    SubscriptionBuySerializer,
    WebhookAckSerializer,
)
from .services.payments import webhook_apply
from .services.promotions import promotion_create
from .services.subscriptions import subscription_purchase


class PlansView(APIView):
    permission_classes = (AllowAny,)

    @extend_schema(
        responses=PlanSerializer(many=True),
        operation_id="promotions_plans",
        summary="The boost plans",
        description="The plans on sale (at least `boost_3`, `boost_7`, `boost_30`): days, "
        "price and currency.",
    )
    def get(self, request: Request) -> Response:
        return Response(PlanSerializer(plans_on_sale(), many=True).data)


class PromotionsView(ListAPIView):
    """The caller's promotions (GET) and buying one (POST)."""

    serializer_class = PromotionSerializer

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return Promotion.objects.none()
        return promotions_of_user(user=self.request.user)

    @extend_schema(
        operation_id="promotions_list",
        summary="The caller's promotions",
        description="Newest first, with their status and when each boost starts and ends.",
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=PromotionCreateSerializer,
        responses={201: PromotionCreatedSerializer},
        operation_id="promotions_create",
        summary="Boost a listing",
        description="The listing's seller side (anyone else: 404). Answers the promotion, "
        "`pending_payment`, with its payment's `checkout_url`; poll `GET /payments/{id}/` "
        "after checkout. Only active listings: `listing_not_active`. 503 when the payment "
        "provider cannot be reached.",
    )
    @error_codes(ListingNotActive, NOT_FOUND)
    def post(self, request: Request) -> Response:
        serializer = PromotionCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        listing = listing_get_for_editor(
            user=request.user, listing_id=serializer.validated_data["listing_id"]
        )
        promotion = promotion_create(
            user=request_user(request),
            listing=listing,
            plan=serializer.validated_data["plan"],
        )
        data = PromotionCreatedSerializer(promotion, context={"request": request}).data
        return Response(data, status=status.HTTP_201_CREATED)


class PaymentView(APIView):
    @extend_schema(
        responses=PaymentSerializer,
        operation_id="payments_retrieve",
        summary="A payment",
        description="Its payer only (anyone else: 404), to poll after checkout. An unpaid "
        "payment expires after 30 minutes.",
    )
    def get(self, request: Request, pk: Any) -> Response:
        payment = payment_get_for_payer(user=request.user, payment_id=pk)
        return Response(PaymentSerializer(payment).data)


class WebhookView(APIView):
    """A payment provider's callback: no user, no CSRF (DRF's views are exempt), no user
    throttles; the signature is the only credential."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = ()

    # The provider's format, not the app's: the contract describes it in prose, and the
    # typed client has no call to make here.
    @extend_schema(exclude=True)
    def post(self, request: Request, provider: str) -> HttpResponse:
        try:
            adapter = get_provider(provider)
        except UnknownProvider:
            raise Http404 from None
        raw = request._request  # the provider verifies the raw body, before DRF parses it
        error: DomainError | None = None
        event = None
        try:
            event = adapter.parse_webhook(raw)
            result = webhook_apply(provider=adapter.code, event=event)
        except InvalidSignature:
            error = SignatureInvalid()
        except MalformedEvent:
            error = DomainError()
        except DomainError as exc:
            error = exc
        custom = adapter.webhook_response(
            raw, WebhookOutcome(event=event, code=error.code if error else "")
        )
        if custom is not None:
            return custom
        if error is not None:
            raise error
        return Response(WebhookAckSerializer(result).data)


@method_decorator(csrf_protect, name="dispatch")
class TestCheckoutView(View):
    """The `test` provider's checkout page, for trying the flow in a browser (DEBUG only):
    "Pay" and "Fail" send a signed callback through the same verification and service as
    the real webhook. Anyone who opens it can pay, so it answers the local machine only."""

    __test__ = False  # not a pytest test class, whatever its name

    def _payment(self, request: HttpRequest, pk: Any) -> Payment:
        if (
            not settings.DEBUG
            or "test" not in settings.PAYMENT_PROVIDERS
            or not is_local_caller(request)
        ):
            raise Http404
        payment = Payment.objects.filter(pk=pk, provider=test_provider.TestProvider.code).first()
        if payment is None:
            raise Http404
        return payment

    def get(self, request: HttpRequest, pk: Any) -> HttpResponse:
        payment = self._payment(request, pk)
        return render(request, "promotions/test_checkout.html", {"payment": payment})

    def post(self, request: HttpRequest, pk: Any) -> HttpResponse:
        payment = self._payment(request, pk)
        outcome = request.POST.get("outcome")
        if outcome in ("succeeded", "failed") and payment.status == PaymentStatus.PENDING:
            body = test_provider.checkout_callback(payment, cast(EventStatus, outcome))
            event = test_provider.parse_signed(body, test_provider.sign(body))
            webhook_apply(provider=payment.provider, event=event)
            payment.refresh_from_db()
        return render(request, "promotions/test_checkout.html", {"payment": payment, "done": True})


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
