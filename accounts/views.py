from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import InvalidToken

from core.api import NO_CONTENT, validated
from core.client_ip import client_ip
from core.schema import TOKEN_NOT_VALID, error_codes

from .api import request_user
from .authentication import JWTAuthentication
from .exceptions import (
    AccountDisabled,
    CodeExpired,
    ConsentRequired,
    ImageTooLarge,
    InvalidCode,
    InvalidPhone,
    LastAdmin,
    PhoneTaken,
    TooManyAttempts,
)
from .models import CodePurpose
from .ratelimit import Limit, hit
from .selectors import consent_current, legal_documents_in_force
from .serializers import (
    AvatarSerializer,
    CodeSentSerializer,
    ConsentDecisionSerializer,
    ConsentStateSerializer,
    DeviceDeleteSerializer,
    DeviceSerializer,
    LegalDocumentSerializer,
    LoginSerializer,
    OtpRequestSerializer,
    OtpVerifySerializer,
    PhoneSerializer,
    PhoneVerifySerializer,
    ProfileSerializer,
    ProfileUpdateSerializer,
    ProfileWithTokensSerializer,
    RefreshSerializer,
    TokenPairSerializer,
)
from .services.auth import (
    auth_login_with_code,
    auth_logout,
    auth_logout_all,
    auth_refresh,
)
from .services.consents import RequestMeta, consent_record
from .services.otp import otp_send, phone_from_input
from .services.profile import (
    account_delete,
    avatar_set,
    device_register,
    device_unregister,
    phone_change_request,
    phone_change_verify,
    profile_update,
)
from .tokens import SESSION_CLAIM


def _meta(request: Request) -> RequestMeta:
    return RequestMeta(ip=client_ip(request), user_agent=request.META.get("HTTP_USER_AGENT", ""))


class PublicView(APIView):
    permission_classes = (AllowAny,)
    # A stale token on a public endpoint must not turn it into a 401.
    authentication_classes = ()

    def get_authenticate_header(self, request: Request) -> str:
        # A refused token (the refresh endpoint's) stays a 401: without this header DRF
        # would answer 403, and the app would not know to log in again.
        return 'Bearer realm="api"'


class LegalDocumentsView(PublicView):
    @extend_schema(
        responses=LegalDocumentSerializer(many=True),
        operation_id="legal_documents",
        summary="The legal documents in force",
        description="The offer agreement, the personal data processing consent and the "
        "marketing consent: the version in force of each, with its title and URL. A user "
        "accepts them with `consent` at login or `POST /me/consents/`.",
    )
    def get(self, request: Request) -> Response:
        return Response(LegalDocumentSerializer(legal_documents_in_force(), many=True).data)


class OtpRequestView(PublicView):
    @extend_schema(
        request=OtpRequestSerializer,
        responses={202: CodeSentSerializer},
        operation_id="otp_request",
        summary="Send a login code by SMS",
        description="The same answer whether or not the phone has an account. Limited per "
        "address, then per phone (or per `device_id` of an install that has logged in to the "
        "phone's account before: its codes are its own and checked only with the same "
        "`device_id`). 503 when the limits cannot be checked: no SMS is sent then.",
    )
    @error_codes(InvalidPhone)
    def post(self, request: Request) -> Response:
        data = validated(OtpRequestSerializer, request)
        sent = otp_send(
            phone=phone_from_input(data["phone"]),
            purpose=CodePurpose.LOGIN,
            ip=client_ip(request),
            device_id=data.get("device_id"),
        )
        return Response(CodeSentSerializer(sent).data, status=status.HTTP_202_ACCEPTED)


class OtpVerifyView(PublicView):
    @extend_schema(
        request=OtpVerifySerializer,
        responses=LoginSerializer,
        operation_id="otp_verify",
        summary="Log in with the SMS code",
        description="Answers a token pair and the profile. A new user must send `consent` "
        "with the first two documents accepted, else `consent_required` (the code is not "
        "spent). A wrong code is `invalid_code` with `attempts_left`; after 5 wrong tries the "
        "code is burned (`too_many_attempts`). A banned account: 403 `permission_denied`.",
    )
    @error_codes(
        InvalidPhone, InvalidCode, CodeExpired, ConsentRequired, TooManyAttempts, AccountDisabled
    )
    def post(self, request: Request) -> Response:
        data = validated(OtpVerifySerializer, request)
        phone = phone_from_input(data["phone"])
        # Guessing codes across many phones from one address is capped too.
        hit(Limit(f"otp:verify:ip:{client_ip(request)}", settings.OTP_VERIFY_PER_IP_PER_HOUR, 3600))
        result = auth_login_with_code(
            phone=phone,
            code=data["code"],
            consent=data.get("consent"),
            meta=_meta(request),
            device_id=data.get("device_id"),
        )
        profile = ProfileSerializer(result.user, context={"request": request}).data
        return Response({**result.tokens, "is_new_user": result.is_new_user, "user": profile})


class TokenRefreshView(PublicView):
    @extend_schema(
        request=RefreshSerializer,
        responses=TokenPairSerializer,
        operation_id="token_refresh",
        summary="Rotate the token pair",
        description="The old refresh token stops working. One already rotated or logged out, "
        "presented again, is taken as stolen: 401 `token_not_valid`, and its whole login ends. "
        "Send one refresh at a time.",
    )
    @error_codes(TOKEN_NOT_VALID)
    def post(self, request: Request) -> Response:
        return Response(auth_refresh(refresh=validated(RefreshSerializer, request)["refresh"]))


class LogoutView(APIView):
    def perform_authentication(self, request: Request) -> None:
        try:
            request.user  # noqa: B018 - authenticates
        except InvalidToken:
            user = JWTAuthentication().user_of_ended_login(request)
            if user is None:
                raise
            request.user = user

    @extend_schema(
        request=RefreshSerializer,
        responses={204: NO_CONTENT},
        operation_id="logout",
        summary="Log out this login",
        description="Revokes the refresh token and the whole login it belongs to: every token "
        "of that login stops working and its chat sockets close. A retried logout with the "
        "same tokens answers 204 again.",
    )
    def post(self, request: Request) -> Response:
        auth_logout(
            user=request_user(request), refresh=validated(RefreshSerializer, request)["refresh"]
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutAllView(APIView):
    @extend_schema(
        request=None,
        responses={204: NO_CONTENT},
        operation_id="logout_all",
        summary="Log out everywhere",
        description="Every token of the user stops working, on every device.",
    )
    def post(self, request: Request) -> Response:
        auth_logout_all(user=request_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    def _profile(self, request: Request) -> Response:
        return Response(ProfileSerializer(request.user, context={"request": request}).data)

    @extend_schema(
        responses=ProfileSerializer,
        operation_id="me_retrieve",
        summary="The caller's profile",
        description="With the listing quota and the businesses they belong to. "
        "`consent_required` is true when a required document changed since they accepted it.",
    )
    def get(self, request: Request) -> Response:
        return self._profile(request)

    @extend_schema(
        request=ProfileUpdateSerializer,
        responses=ProfileSerializer,
        operation_id="me_update",
        summary="Edit the caller's profile",
        description="`display_name`, `city` and `language`; answers the whole profile.",
    )
    def patch(self, request: Request) -> Response:
        profile_update(user=request_user(request), data=validated(ProfileUpdateSerializer, request))
        return self._profile(request)

    @extend_schema(
        responses={204: NO_CONTENT},
        operation_id="me_delete",
        summary="Delete the caller's account",
        description="Personal data erased, personal listings archived, tokens revoked; "
        "payments and audit records are kept. The last admin of a business: `last_admin`.",
    )
    @error_codes(LastAdmin)
    def delete(self, request: Request) -> Response:
        account_delete(user=request_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class AvatarView(APIView):
    parser_classes = (MultiPartParser,)
    throttle_scope = "upload"

    @extend_schema(
        request=AvatarSerializer,
        responses={200: ProfileSerializer},
        operation_id="me_avatar",
        summary="Set the caller's avatar",
        description="JPEG, PNG or WebP up to 5 MB and 25 MP (`image_too_large`, with "
        "`max_pixels`); the type is read from the bytes (415). Answers the profile. A 503 "
        "when the server is busy decoding other pictures: send it again shortly.",
    )
    @error_codes(ImageTooLarge)
    def post(self, request: Request) -> Response:
        user = avatar_set(
            user=request_user(request), upload=validated(AvatarSerializer, request)["file"]
        )
        return Response(ProfileSerializer(user, context={"request": request}).data)


class ConsentsView(APIView):
    @extend_schema(
        responses=ConsentStateSerializer(many=True),
        operation_id="me_consents",
        summary="The caller's current consents",
        description="One entry per document kind: accepted or not, and the version decided on.",
    )
    def get(self, request: Request) -> Response:
        states = consent_current(user=request_user(request))
        return Response(ConsentStateSerializer(states, many=True).data)

    @extend_schema(
        request=ConsentDecisionSerializer,
        responses={201: ConsentStateSerializer},
        operation_id="me_consents_record",
        summary="Record a consent decision",
        description="Accepts or refuses the version in force of a document; the history is "
        "kept. Refusing a required one: `consent_required`.",
    )
    @error_codes(ConsentRequired)
    def post(self, request: Request) -> Response:
        data = validated(ConsentDecisionSerializer, request)
        decision = consent_record(
            user=request_user(request),
            kind=data["kind"],
            accepted=data["accepted"],
            meta=_meta(request),
        )
        body = {
            "kind": decision.kind,
            "accepted": decision.accepted,
            "version": decision.version,
            "accepted_at": decision.created_at,
        }
        return Response(ConsentStateSerializer(body).data, status=status.HTTP_201_CREATED)


class PhoneChangeView(APIView):
    @extend_schema(
        request=PhoneSerializer,
        responses={202: CodeSentSerializer},
        operation_id="me_phone",
        summary="Start changing the caller's phone",
        description="A code is sent by SMS to the new number; confirm it with "
        "`POST /me/phone/verify/`.",
    )
    @error_codes(InvalidPhone)
    def post(self, request: Request) -> Response:
        phone = phone_from_input(validated(PhoneSerializer, request)["phone"])
        sent = phone_change_request(user=request_user(request), phone=phone, ip=client_ip(request))
        return Response(CodeSentSerializer(sent).data, status=status.HTTP_202_ACCEPTED)


class PhoneVerifyView(APIView):
    @extend_schema(
        request=PhoneVerifySerializer,
        responses=ProfileWithTokensSerializer,
        operation_id="me_phone_verify",
        summary="Confirm the new phone with its code",
        description="Answers the profile with the new phone and a new token pair; the user's "
        "other tokens stop working. Another account has the phone: `phone_taken`.",
    )
    @error_codes(InvalidPhone, InvalidCode, CodeExpired, TooManyAttempts, PhoneTaken)
    def post(self, request: Request) -> Response:
        data = validated(PhoneVerifySerializer, request)
        phone = phone_from_input(data["phone"])
        hit(Limit(f"otp:verify:ip:{client_ip(request)}", settings.OTP_VERIFY_PER_IP_PER_HOUR, 3600))
        claims: Any = request.auth  # the access token that authenticated the caller
        user, tokens = phone_change_verify(
            user=request_user(request),
            phone=phone,
            code=data["code"],
            session_id=claims.get(SESSION_CLAIM) if claims else None,
        )
        context = {"request": request, "tokens": tokens}
        return Response(ProfileWithTokensSerializer(user, context=context).data)


class DevicesView(APIView):
    @extend_schema(
        request=DeviceSerializer,
        responses={201: DeviceSerializer},
        operation_id="me_devices_add",
        summary="Register a push token",
        description="The install's Expo push token, for notifications of new messages and "
        "decisions on the user's listings.",
    )
    def post(self, request: Request) -> Response:
        data = validated(DeviceSerializer, request)
        device = device_register(
            user=request_user(request),
            token=data["expo_push_token"],
            platform=data["platform"],
        )
        return Response(DeviceSerializer(device).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=DeviceDeleteSerializer,
        responses={204: NO_CONTENT},
        operation_id="me_devices_remove",
        summary="Forget a push token",
        description="No more notifications to that install.",
    )
    def delete(self, request: Request) -> Response:
        data = validated(DeviceDeleteSerializer, request)
        device_unregister(user=request_user(request), token=data["expo_push_token"])
        return Response(status=status.HTTP_204_NO_CONTENT)
