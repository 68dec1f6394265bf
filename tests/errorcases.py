"""Views that raise each kind of error, mounted only by the error-shape tests."""

from typing import Any

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.urls import path, re_path
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts.models import User
from core.errors import DomainError, ServiceUnavailable
from marketplace.api.views import ApiNotFoundView


class DetailsSerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=1950)


class ListingInput(serializers.Serializer):
    title = serializers.CharField(min_length=5)
    details = DetailsSerializer()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["title"].lower() == "forbidden":
            raise serializers.ValidationError("This combination is not allowed.")
        return attrs


class Public(APIView):
    permission_classes = (AllowAny,)


class ValidateView(Public):
    def post(self, request: Request) -> Response:
        serializer = ListingInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(serializer.validated_data)


class LimitReached(DomainError):
    status_code = 403
    code = "listing_limit_reached"
    message = "You have reached the limit."


class DomainView(Public):
    def post(self, request: Request) -> Response:
        raise LimitReached(extra={"limit": 5})


class UnavailableView(Public):
    def get(self, request: Request) -> Response:
        raise ServiceUnavailable


class CrashView(Public):
    def get(self, request: Request) -> Response:
        raise RuntimeError("secret internals: /srv/app/settings.py password=hunter2")


class DatabaseDownView(Public):
    def get(self, request: Request) -> Response:
        raise OperationalError("connection refused")


def database_down(request: HttpRequest) -> HttpResponse:
    """A plain Django view (the admin, say): its errors reach handler500, not DRF's handler."""
    raise OperationalError("connection refused")


def plain_crash(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("secret internals")


class NoOne(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return False


class ForbiddenView(APIView):
    permission_classes = (IsAuthenticated, NoOne)

    def get(self, request: Request) -> Response:
        return Response({})


class PrivateView(APIView):
    def get(self, request: Request) -> Response:
        return Response({"user": str(request.user.pk)})


class ThrottledView(Public):
    throttle_classes = (ScopedRateThrottle,)
    throttle_scope = "errorcases"

    def get(self, request: Request) -> Response:
        return Response({})


class UserRow(serializers.Serializer):
    phone = serializers.CharField()


class PagedView(ListAPIView):
    """A cursor-paginated list, as every growing list in the API is."""

    permission_classes = (AllowAny,)
    serializer_class = UserRow

    def get_queryset(self) -> Any:
        return User.objects.all()


class EchoView(Public):
    def post(self, request: Request) -> Response:
        return Response({"size": len(request.data)})


handler500 = "marketplace.api.views.handler500"

urlpatterns = [
    path("api/database-down/", DatabaseDownView.as_view()),
    path("api/plain-database-down/", database_down),
    path("pages/database-down/", database_down),
    path("pages/crash/", plain_crash),
    path("api/validate/", ValidateView.as_view()),
    path("api/domain/", DomainView.as_view()),
    path("api/unavailable/", UnavailableView.as_view()),
    path("api/crash/", CrashView.as_view()),
    path("api/forbidden/", ForbiddenView.as_view()),
    path("api/private/", PrivateView.as_view()),
    path("api/throttled/", ThrottledView.as_view()),
    path("api/echo/", EchoView.as_view()),
    path("api/paged/", PagedView.as_view()),
    re_path(r"^api/", ApiNotFoundView.as_view()),
]
