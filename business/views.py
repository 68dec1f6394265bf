"""Business accounts: the public page, the team, invitations and plans.

Lookups go through business.permissions: 404 for a business the caller is not in, 403 for a
seller doing what only admins do.
"""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import request_user
from accounts.exceptions import ImageTooLarge, InvalidPhone, LastAdmin
from core.api import NO_CONTENT, validated
from core.schema import error_codes

from .exceptions import NotBusinessAdmin
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

    @extend_schema(
        responses=SubscriptionPlanSerializer(many=True),
        operation_id="business_plans",
        summary="The business subscription plans",
        description="The plans on sale: code, name, months, price and currency. Buy one with "
        "`POST /business/{id}/subscription/`.",
    )
    def get(self, request: Request) -> Response:
        return Response(SubscriptionPlanSerializer(subscription_plans_on_sale(), many=True).data)


class BusinessCreateView(APIView):
    throttle_scope = "business_create"

    @extend_schema(
        request=BusinessWriteSerializer,
        responses={201: BusinessSerializer},
        operation_id="business_create",
        summary="Create a business (upgrade)",
        description="The caller becomes its admin; the subscription starts as a 14-day trial, "
        "once per user (a later business starts `past_due` until paid). At most 3 a day per "
        "user.",
    )
    @error_codes(InvalidPhone)
    def post(self, request: Request) -> Response:
        business = business_create(
            owner=request_user(request), data=validated(BusinessWriteSerializer, request)
        )
        return _business(request, business, status.HTTP_201_CREATED, member=True)


class BusinessView(APIView):
    def get_permissions(self) -> list[Any]:
        return [AllowAny()] if self.request.method == "GET" else [IsAuthenticated()]

    @extend_schema(
        responses=BusinessSerializer,
        operation_id="business_retrieve",
        summary="A business's public page",
        description="Its members also get `subscription` (plan, status, current period end).",
    )
    def get(self, request: Request, pk: Any) -> Response:
        return _business(request, business_get_public(business_id=pk))

    @extend_schema(
        request=BusinessWriteSerializer,
        responses=BusinessSerializer,
        operation_id="business_update",
        summary="Edit a business",
        description="Its admins only: a seller gets 403, anyone else 404.",
    )
    @error_codes(NotBusinessAdmin, InvalidPhone)
    def patch(self, request: Request, pk: Any) -> Response:
        business = business_get_for_admin(user=request.user, business_id=pk)
        data = validated(BusinessWriteSerializer, request, partial=True)
        updated = business_update(business=business, actor=request_user(request), data=data)
        return _business(request, updated, member=True)


class LogoView(APIView):
    parser_classes = (MultiPartParser,)
    throttle_scope = "upload"

    @extend_schema(
        request={"multipart/form-data": LogoSerializer},
        responses={200: BusinessSerializer},
        operation_id="business_logo",
        summary="Set a business's logo",
        description="Its admins only. JPEG, PNG or WebP up to 5 MB and 25 MP "
        "(`image_too_large`, with `max_pixels`); the type is read from the bytes (415). A 503 "
        "when the server is busy decoding other pictures: send it again shortly.",
    )
    @error_codes(NotBusinessAdmin, ImageTooLarge)
    def post(self, request: Request, pk: Any) -> Response:
        business = business_get_for_admin(user=request.user, business_id=pk)
        upload = validated(LogoSerializer, request)["file"]
        updated = business_set_logo(business=business, actor=request_user(request), upload=upload)
        return _business(request, updated, member=True)


class MembersView(APIView):
    @extend_schema(
        responses=MemberSerializer(many=True),
        operation_id="business_members",
        summary="A business's team",
        description="Its members only (anyone else: 404): each member's role and join date.",
    )
    def get(self, request: Request, pk: Any) -> Response:
        membership = business_get_for_member(user=request.user, business_id=pk)
        return Response(MemberSerializer(members_of(business=membership.business), many=True).data)


class MemberView(APIView):
    @extend_schema(
        request=MemberUpdateSerializer,
        responses={200: MemberSerializer},
        operation_id="business_member_update",
        summary="Change a member's role",
        description="Its admins only. The last admin cannot be demoted: `last_admin`.",
    )
    @error_codes(NotBusinessAdmin, LastAdmin)
    def patch(self, request: Request, pk: Any, user_id: Any) -> Response:
        business = business_get_for_admin(user=request.user, business_id=pk)
        role = validated(MemberUpdateSerializer, request)["role"]
        membership = member_set_role(
            business=business, user_id=user_id, role=role, actor=request_user(request)
        )
        return Response(MemberSerializer(membership).data)

    @extend_schema(
        responses={204: NO_CONTENT},
        operation_id="business_member_remove",
        summary="Remove a member, or leave",
        description="Its admins remove a member; a member removes themselves to leave. The last "
        "admin cannot leave: `last_admin`. Listings stay with the business.",
    )
    @error_codes(NotBusinessAdmin, LastAdmin)
    def delete(self, request: Request, pk: Any, user_id: Any) -> Response:
        membership = business_get_for_member(user=request.user, business_id=pk)
        member_remove(business=membership.business, user_id=user_id, actor=request_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationsView(APIView):
    throttle_scope = "invitation"

    @extend_schema(
        responses=InvitationSerializer(many=True),
        operation_id="business_invitations",
        summary="A business's pending invitations",
        description="Its admins only; invitations not yet accepted, declined or expired.",
    )
    @error_codes(NotBusinessAdmin)
    def get(self, request: Request, pk: Any) -> Response:
        business = business_get_for_admin(user=request.user, business_id=pk)
        return Response(
            InvitationSerializer(invitations_pending(business=business), many=True).data
        )

    @extend_schema(
        request=InvitationCreateSerializer,
        responses={201: InvitationSerializer},
        operation_id="business_invitations_create",
        summary="Invite a phone to the team",
        description="Its admins only. The same answer whether or not the phone has an "
        "account; the invitation waits 7 days for that phone to log in.",
    )
    @error_codes(NotBusinessAdmin, InvalidPhone)
    def post(self, request: Request, pk: Any) -> Response:
        business = business_get_for_admin(user=request.user, business_id=pk)
        data = validated(InvitationCreateSerializer, request)
        invitation = invitation_create(
            business=business, actor=request_user(request), phone=data["phone"], role=data["role"]
        )
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)


class InvitationView(APIView):
    @extend_schema(
        responses={204: NO_CONTENT},
        operation_id="business_invitation_revoke",
        summary="Revoke an invitation",
        description="Its admins only; the invited phone can no longer accept it.",
    )
    @error_codes(NotBusinessAdmin)
    def delete(self, request: Request, pk: Any, invitation_id: Any) -> Response:
        business = business_get_for_admin(user=request.user, business_id=pk)
        invitation_revoke(
            business=business, actor=request_user(request), invitation_id=invitation_id
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class MyInvitationsView(APIView):
    @extend_schema(
        responses=MyInvitationSerializer(many=True),
        operation_id="me_invitations",
        summary="Invitations for the caller's phone",
        description="Pending invitations to businesses' teams, to accept or decline.",
    )
    def get(self, request: Request) -> Response:
        invitations = invitations_for_user(user=request_user(request))
        context = {"request": request}
        return Response(MyInvitationSerializer(invitations, many=True, context=context).data)


class AcceptInvitationView(APIView):
    @extend_schema(
        request=None,
        responses={204: NO_CONTENT},
        operation_id="me_invitation_accept",
        summary="Accept an invitation",
        description="The caller joins the business's team with the invitation's role.",
    )
    def post(self, request: Request, pk: Any) -> Response:
        invitation_accept(user=request_user(request), invitation_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DeclineInvitationView(APIView):
    @extend_schema(
        request=None,
        responses={204: NO_CONTENT},
        operation_id="me_invitation_decline",
        summary="Decline an invitation",
        description="The invitation ends; the caller does not join the team.",
    )
    def post(self, request: Request, pk: Any) -> Response:
        invitation_decline(user=request_user(request), invitation_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)
