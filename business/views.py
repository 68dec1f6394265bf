"""Business accounts: the public page, the team, invitations and plans.

Lookups go through business.permissions: 404 for a business the caller is not in, 403 for a
seller doing what only admins do.
"""

from typing import Any, cast

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User

from .models import Business
from .permissions import (
    business_get_for_admin,
    business_get_for_member,
    business_get_public,
    membership_of,
)
from .selectors import (
    invitations_for_user,
    invitations_pending,
    members_of,
    subscription_plans_on_sale,
)
from .serializers import (
    BusinessSerializer,
    BusinessWriteSerializer,
    InvitationCreateSerializer,
    InvitationSerializer,
    LogoSerializer,
    MemberSerializer,
    MemberUpdateSerializer,
    MyInvitationSerializer,
    SubscriptionPlanSerializer,
)
from .services.profile import business_create, business_set_logo, business_update
from .services.team import (
    invitation_accept,
    invitation_create,
    invitation_decline,
    invitation_revoke,
    member_remove,
    member_set_role,
)

NO_CONTENT = OpenApiResponse(description="Done; nothing to return.")
# The contract's error shape, for the statuses the schema hook does not add to every operation.
ERROR = {"$ref": "#/components/schemas/Error"}
LAST_ADMIN = OpenApiResponse(ERROR, description="`last_admin`: the business keeps one admin.")


def _user(request: Request) -> User:
    """The authenticated caller (the default permission, IsAuthenticated, has checked)."""
    return cast(User, request.user)


def _valid(serializer_class: type, request: Request, *, partial: bool = False) -> dict[str, Any]:
    serializer = serializer_class(data=request.data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _business(
    request: Request,
    business: Business,
    code: int = status.HTTP_200_OK,
    *,
    member: bool | None = None,
) -> Response:
    """The business as the caller sees it; `member` when the view already knows (its admin
    has just written it), else looked up."""
    if member is None:
        member = membership_of(user=request.user, business_id=business.pk) is not None
    context = {"request": request, "member": member}
    return Response(BusinessSerializer(business, context=context).data, status=code)


class PlansView(APIView):
    permission_classes = (AllowAny,)

    @extend_schema(responses=SubscriptionPlanSerializer(many=True), operation_id="business_plans")
    def get(self, request: Request) -> Response:
        return Response(SubscriptionPlanSerializer(subscription_plans_on_sale(), many=True).data)


class BusinessCreateView(APIView):
    throttle_scope = "business_create"

    @extend_schema(
        request=BusinessWriteSerializer,
        responses={201: BusinessSerializer},
        operation_id="business_create",
        description="The caller becomes its admin; the subscription starts as a 14-day trial, "
        "once per user (a later business starts `past_due` until paid).",
    )
    def post(self, request: Request) -> Response:
        business = business_create(
            owner=_user(request), data=_valid(BusinessWriteSerializer, request)
        )
        return _business(request, business, status.HTTP_201_CREATED, member=True)


class BusinessView(APIView):
    def get_permissions(self) -> list[Any]:
        return [AllowAny()] if self.request.method == "GET" else [IsAuthenticated()]

    @extend_schema(responses=BusinessSerializer, operation_id="business_retrieve")
    def get(self, request: Request, pk: Any) -> Response:
        return _business(request, business_get_public(business_id=pk))

    @extend_schema(
        request=BusinessWriteSerializer,
        responses=BusinessSerializer,
        operation_id="business_update",
    )
    def patch(self, request: Request, pk: Any) -> Response:
        business = business_get_for_admin(user=request.user, business_id=pk)
        data = _valid(BusinessWriteSerializer, request, partial=True)
        updated = business_update(business=business, actor=_user(request), data=data)
        return _business(request, updated, member=True)


class LogoView(APIView):
    parser_classes = (MultiPartParser,)
    throttle_scope = "upload"

    @extend_schema(
        request={"multipart/form-data": LogoSerializer},
        responses={
            200: BusinessSerializer,
            400: OpenApiResponse(
                ERROR, description="Invalid input; `image_too_large`: more than 25 MP."
            ),
            413: OpenApiResponse(ERROR, description="`payload_too_large`"),
            415: OpenApiResponse(ERROR, description="`unsupported_media_type`"),
        },
        operation_id="business_logo",
    )
    def post(self, request: Request, pk: Any) -> Response:
        business = business_get_for_admin(user=request.user, business_id=pk)
        upload = _valid(LogoSerializer, request)["file"]
        updated = business_set_logo(business=business, actor=_user(request), upload=upload)
        return _business(request, updated, member=True)


class MembersView(APIView):
    @extend_schema(responses=MemberSerializer(many=True), operation_id="business_members")
    def get(self, request: Request, pk: Any) -> Response:
        membership = business_get_for_member(user=request.user, business_id=pk)
        return Response(MemberSerializer(members_of(business=membership.business), many=True).data)


class MemberView(APIView):
    @extend_schema(
        request=MemberUpdateSerializer,
        responses={200: MemberSerializer, 409: LAST_ADMIN},
        operation_id="business_member_update",
    )
    def patch(self, request: Request, pk: Any, user_id: Any) -> Response:
        business = business_get_for_admin(user=request.user, business_id=pk)
        role = _valid(MemberUpdateSerializer, request)["role"]
        membership = member_set_role(
            business=business, user_id=user_id, role=role, actor=_user(request)
        )
        return Response(MemberSerializer(membership).data)

    @extend_schema(
        responses={204: NO_CONTENT, 409: LAST_ADMIN},
        operation_id="business_member_remove",
        description="Its admins remove a member; a member removes himself to leave.",
    )
    def delete(self, request: Request, pk: Any, user_id: Any) -> Response:
        membership = business_get_for_member(user=request.user, business_id=pk)
        member_remove(business=membership.business, user_id=user_id, actor=_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationsView(APIView):
    throttle_scope = "invitation"

    @extend_schema(responses=InvitationSerializer(many=True), operation_id="business_invitations")
    def get(self, request: Request, pk: Any) -> Response:
        business = business_get_for_admin(user=request.user, business_id=pk)
        return Response(
            InvitationSerializer(invitations_pending(business=business), many=True).data
        )

    @extend_schema(
        request=InvitationCreateSerializer,
        responses={201: InvitationSerializer},
        operation_id="business_invitations_create",
        description="The same answer whether or not the phone has an account; the invitation "
        "waits 7 days for that phone to log in.",
    )
    def post(self, request: Request, pk: Any) -> Response:
        business = business_get_for_admin(user=request.user, business_id=pk)
        data = _valid(InvitationCreateSerializer, request)
        invitation = invitation_create(
            business=business, actor=_user(request), phone=data["phone"], role=data["role"]
        )
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)


class InvitationView(APIView):
    @extend_schema(responses={204: NO_CONTENT}, operation_id="business_invitation_revoke")
    def delete(self, request: Request, pk: Any, invitation_id: Any) -> Response:
        business = business_get_for_admin(user=request.user, business_id=pk)
        invitation_revoke(business=business, actor=_user(request), invitation_id=invitation_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MyInvitationsView(APIView):
    @extend_schema(responses=MyInvitationSerializer(many=True), operation_id="me_invitations")
    def get(self, request: Request) -> Response:
        invitations = invitations_for_user(user=_user(request))
        context = {"request": request}
        return Response(MyInvitationSerializer(invitations, many=True, context=context).data)


class AcceptInvitationView(APIView):
    @extend_schema(request=None, responses={204: NO_CONTENT}, operation_id="me_invitation_accept")
    def post(self, request: Request, pk: Any) -> Response:
        invitation_accept(user=_user(request), invitation_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DeclineInvitationView(APIView):
    @extend_schema(request=None, responses={204: NO_CONTENT}, operation_id="me_invitation_decline")
    def post(self, request: Request, pk: Any) -> Response:
        invitation_decline(user=_user(request), invitation_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)
