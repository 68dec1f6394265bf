"""The chat's REST endpoints: parse, fetch through a selector, call one service, answer."""

from typing import Any

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api import request_user
from core.api import NO_CONTENT
from core.pagination import PAGING, CursorPagination
from core.schema import NOT_FOUND, error_codes

from .exceptions import Blocked, CannotMessageSelf
from .selectors import messages_of_thread, thread_for_list, thread_get_for_participant, thread_list
from .serializers import (
    MessageCreateSerializer,
    MessagePageSerializer,
    MessageSerializer,
    ReadSerializer,
    ThreadOpenSerializer,
    ThreadPageSerializer,
    ThreadSerializer,
    thread_items,
)
from .services import message_send, thread_block, thread_open, thread_read, thread_unblock


class ThreadPagination(CursorPagination):
    ordering = "-last_activity_at"


class MessagePagination(CursorPagination):
    ordering = "-seq"


def _thread_answer(request: Request, thread: Any, status_code: int) -> Response:
    listed = thread_for_list(user=request.user, thread=thread)
    item = thread_items([listed], user=request.user, request=request)[0]
    return Response(item, status=status_code)


class ThreadsView(APIView):
    @extend_schema(
        parameters=PAGING,
        responses=ThreadPageSerializer,
        operation_id="chat_threads_list",
        summary="The caller's chat threads",
        description="As buyer or seller side, newest activity first: the listing's card, the "
        "other party, the last message and the unread count.",
    )
    def get(self, request: Request) -> Response:
        paginator = ThreadPagination()
        page = paginator.paginate_queryset(thread_list(user=request.user), request, view=self)
        items = thread_items(list(page or ()), user=request.user, request=request)
        return paginator.get_paginated_response(items)

    @extend_schema(
        request=ThreadOpenSerializer,
        responses={
            201: ThreadSerializer,
            200: OpenApiResponse(ThreadSerializer, description="The thread already existed."),
        },
        operation_id="chat_threads_open",
        summary="Open a thread about a listing",
        description="One per listing and buyer: 201 new, 200 existing. Own listing: 400 "
        "`cannot_message_self`; a new thread needs an active listing (404); an existing one "
        "stays usable after the listing is sold or archived.",
    )
    @error_codes(CannotMessageSelf, NOT_FOUND)
    def post(self, request: Request) -> Response:
        serializer = ThreadOpenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        thread, created = thread_open(
            buyer=request_user(request), listing_id=serializer.validated_data["listing_id"]
        )
        return _thread_answer(request, thread, status.HTTP_201_CREATED if created else 200)


class MessagesView(APIView):
    @extend_schema(
        parameters=[
            *PAGING,
            OpenApiParameter(
                "after",
                int,
                description="Only messages numbered (`seq`) above this, oldest first: to catch "
                "up after a reconnect. Without it, newest first.",
            ),
        ],
        responses=MessagePageSerializer,
        operation_id="chat_messages_list",
        summary="A thread's messages",
        description="Participants only (anyone else: 404). Newest first; with `after`, what "
        "came after that `seq`, oldest first, to catch up after a reconnect.",
    )
    def get(self, request: Request, pk: str) -> Response:
        thread, _side = thread_get_for_participant(user=request.user, thread_id=pk)
        after = serializers.IntegerField(min_value=0, max_value=2**31 - 1, required=False)
        raw = request.query_params.get("after")
        try:
            after_seq = after.run_validation(raw) if raw is not None else None
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({"after": exc.detail}) from None
        paginator = MessagePagination()
        paginator.ordering = "seq" if after_seq is not None else "-seq"
        page = paginator.paginate_queryset(
            messages_of_thread(thread=thread, after=after_seq), request, view=self
        )
        return paginator.get_paginated_response(MessageSerializer(page, many=True).data)

    @extend_schema(
        request=MessageCreateSerializer,
        responses={
            201: MessageSerializer,
            200: OpenApiResponse(
                MessageSerializer, description="This `client_id` was sent before: that message."
            ),
        },
        operation_id="chat_messages_send",
        summary="Send a message",
        description="Body 1–4000 characters. `seq` increases by one per message in a thread; "
        "repeating a `client_id` in the thread answers the first message (200). The other "
        "side blocked the caller's: 403 `blocked`. The message is also pushed over the "
        "WebSocket to every participant.",
    )
    @error_codes(Blocked)
    def post(self, request: Request, pk: str) -> Response:
        thread, side = thread_get_for_participant(user=request.user, thread_id=pk)
        serializer = MessageCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        message, created = message_send(
            thread=thread, side=side, sender=request_user(request), **serializer.validated_data
        )
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(MessageSerializer(message).data, status=code)


class ReadView(APIView):
    @extend_schema(
        request=ReadSerializer,
        responses={204: NO_CONTENT},
        operation_id="chat_threads_read",
        summary="Mark a thread read",
        description="The caller has read the thread up to `up_to_seq` (capped at its last "
        "message; it never moves back).",
    )
    def post(self, request: Request, pk: str) -> Response:
        thread, _side = thread_get_for_participant(user=request.user, thread_id=pk)
        serializer = ReadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        thread_read(
            thread=thread,
            user=request_user(request),
            up_to_seq=serializer.validated_data["up_to_seq"],
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class BlockView(APIView):
    @extend_schema(
        request=None,
        responses={204: NO_CONTENT},
        operation_id="chat_threads_block",
        summary="Block the other party",
        description="The caller's side blocks the other: it can no longer send in the thread.",
    )
    def post(self, request: Request, pk: str) -> Response:
        thread, side = thread_get_for_participant(user=request.user, thread_id=pk)
        thread_block(thread=thread, side=side, user=request_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=None,
        responses={204: NO_CONTENT},
        operation_id="chat_threads_unblock",
        summary="Unblock the other party",
        description="Lift the block the caller's side set.",
    )
    def delete(self, request: Request, pk: str) -> Response:
        thread, side = thread_get_for_participant(user=request.user, thread_id=pk)
        thread_unblock(thread=thread, side=side, user=request_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)
