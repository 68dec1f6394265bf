"""The chat socket, `/ws/chat/`: authenticates, joins the user's group, hands every write to
`chat.services` and relays the events the services send to the group.

The access token comes as the subprotocol pair `["bearer", "<access>"]` (the server selects
`bearer`) or as `?token=` (redacted from every log line). A missing, invalid, expired or
revoked token, or a banned user, is accepted and closed with 4401, so the app can tell a login
problem from a network one; an open socket closes with 4401 when its token expires, every
token of its user is revoked (a ban among them) or its login session ends. While Redis (the
channel layer) or the database is unreachable, a socket is accepted and closed with 1013 (try
again later), and an open one is closed so: the app reconnects with a backoff and catches up
with `?after=`.
"""

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar
from urllib.parse import parse_qs

import redis
from asgiref.sync import sync_to_async
from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.db import close_old_connections
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from accounts.authentication import JWTAuthentication
from accounts.models import User
from accounts.selectors import login_session_user
from accounts.tokens import SESSION_CLAIM, TOKEN_VERSION_CLAIM
from core.errors import MESSAGES, DomainError, flatten_fields, is_database_unavailable

from . import events, presence
from .metrics import connections_open
from .models import Message
from .selectors import thread_get_for_participant
from .serializers import MessageSendFrameSerializer
from .services import message_send

logger = logging.getLogger(__name__)
_P = ParamSpec("_P")
_R = TypeVar("_R")

CLOSE_UNAUTHORIZED = 4401
CLOSE_TRY_AGAIN_LATER = 1013
BEARER = "bearer"


def in_worker_thread(function: Callable[_P, _R]) -> Callable[_P, Awaitable[_R]]:
    """`function` as a coroutine run in the loop's thread pool, so one socket's database work
    does not queue behind every other socket's in a single thread. It hands its connection
    back to the pool itself: the next call may run in another thread."""

    def run(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return function(*args, **kwargs)
        finally:
            close_old_connections()

    return sync_to_async(run, thread_sensitive=False)


class SessionEnded(Exception):
    """The socket's user was banned, or their tokens or its login session revoked, since it
    connected."""


def _credentials(scope: dict[str, Any]) -> tuple[str | None, str | None]:
    """The access token and the subprotocol to select (`bearer` when it came that way)."""
    subprotocols = scope.get("subprotocols") or []
    if len(subprotocols) == 2 and subprotocols[0] == BEARER:
        return subprotocols[1], BEARER
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    tokens = query.get("token")
    return (tokens[0] if tokens else None), None


def _authenticate(raw: str | None) -> tuple[User, dict[str, Any]] | None:
    """The user and claims of a valid access token of an active user, checked as every REST
    request is; None otherwise."""
    if not raw:
        return None
    authentication = JWTAuthentication()
    try:
        token = authentication.get_validated_token(raw.encode())
        user = authentication.get_user(token)
    except (InvalidToken, TokenError):
        return None
    return user, dict(token.payload)


def _send(claims: dict[str, Any], data: dict[str, Any]) -> tuple[Message, bool]:
    # The user is read again: a ban or a revocation whose event was lost still stops them.
    user = login_session_user(claims=claims)
    if user is None:
        raise SessionEnded
    with translation.override(user.language):
        thread, side = thread_get_for_participant(user=user, thread_id=data["thread_id"])
        return message_send(
            thread=thread,
            side=side,
            sender=user,
            body=data["body"],
            client_id=data["client_id"],
        )


def _unavailable(exc: BaseException) -> bool:
    """Redis (the channel layer) or the database failed, not this socket."""
    return isinstance(exc, redis.RedisError | OSError) or is_database_unavailable(exc)


class ChatConsumer(AsyncJsonWebsocketConsumer):
    user: User | None = None
    claims: dict[str, Any] | None = None
    token_version = -1
    session_id = ""
    group = ""
    accepted = False
    _expiry: asyncio.Task[None] | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._live = asyncio.Event()
        self._layer_receive: Callable[[], Awaitable[dict[str, Any]]] | None = None

    # Channels reads the layer from the start; this reads it only once the socket is live,
    # so a refused socket never touches Redis, and a failure while connecting does not wait
    # for a half-made Redis read to be cancelled (which can take seconds).
    @property
    def channel_receive(self) -> Callable[[], Awaitable[dict[str, Any]]]:
        return self._receive_when_live

    @channel_receive.setter
    def channel_receive(self, receive: Callable[[], Awaitable[dict[str, Any]]]) -> None:
        self._layer_receive = receive

    async def _receive_when_live(self) -> dict[str, Any]:
        await self._live.wait()
        if self._layer_receive is None:  # Channels sets it before it reads
            raise RuntimeError("The channel layer's receive was never set")
        return await self._layer_receive()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        # The channel layer's receive loop runs beside the handlers, so a lost Redis surfaces
        # here rather than in any one handler.
        try:
            await super().__call__(scope, receive, send)
        except Exception as exc:
            if not _unavailable(exc):
                raise
            logger.warning("Chat socket closed with 1013: %s", exc)
            await self._forget()
            # The client may have gone already; then there is nothing left to tell it.
            with contextlib.suppress(Exception):
                if not self.accepted:
                    await send({"type": "websocket.accept"})
                await send({"type": "websocket.close", "code": CLOSE_TRY_AGAIN_LATER})

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels' own dispatch first closes the database connections of asgiref's one sync
        # thread, a hop to that thread before every frame, ping and delivery of every socket.
        # This consumer never uses the database there: its work runs `in_worker_thread`,
        # which hands its connection back itself.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def accept(self, subprotocol: str | None = None, headers: Any = None) -> None:
        await super().accept(subprotocol, headers)
        self.accepted = True

    async def connect(self) -> None:
        raw, subprotocol = _credentials(self.scope)
        session = await in_worker_thread(_authenticate)(raw)
        if session is None:
            await self.accept(subprotocol)
            await self.close(code=CLOSE_UNAUTHORIZED)
            return
        user, self.claims = session
        self.token_version = int(self.claims.get(TOKEN_VERSION_CLAIM, -1))
        self.session_id = str(self.claims.get(SESSION_CLAIM, ""))
        expires_at = float(self.claims["exp"])
        self.group = events.user_group(user.pk)
        # In the group and live before the accept: an app that sees the socket open misses
        # no event and gets no needless push.
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self._touch(user.pk)
        self.user = user
        self._expiry = asyncio.create_task(self._close_at(expires_at))
        connections_open.inc()
        await self.accept(subprotocol)
        self._live.set()

    async def disconnect(self, code: int) -> None:
        if self.user is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)
        await self._forget()

    async def _forget(self) -> None:
        """Ends this socket's bookkeeping, once."""
        user, self.user = self.user, None
        if user is None:
            return
        if self._expiry is not None:
            self._expiry.cancel()
        connections_open.dec()
        await presence.leave(user_id=user.pk, socket=self.channel_name)

    async def _close_at(self, expires_at: float) -> None:
        await asyncio.sleep(max(0.0, expires_at - time.time()))
        await self.close(code=CLOSE_UNAUTHORIZED)

    async def _touch(self, user_id: Any) -> None:
        await presence.touch(user_id=user_id, socket=self.channel_name)

    def _error(self, code: str, message: Any, **extra: Any) -> dict[str, Any]:
        language = self.user.language if self.user is not None else None
        with translation.override(language):
            return events.error(code, message, **extra)

    # --- From the client ------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.user is None:
            return  # closed with 4401; nothing more is read
        try:
            frame = json.loads(text_data) if text_data is not None else None
        except (ValueError, RecursionError):  # RecursionError: nested too deeply to decode
            frame = None
        if not isinstance(frame, dict):
            await self.send_json(self._error("invalid", _("Send a JSON object with a type.")))
            return
        await self.receive_json(frame)

    async def receive_json(self, content: dict[str, Any], **kwargs: Any) -> None:
        if self.user is None:
            return
        kind = content.get("type")
        # The type may be any JSON value, a list among them: only a string can name a frame.
        handler = CLIENT_FRAMES.get(kind) if isinstance(kind, str) else None
        if handler is None:
            await self.send_json(self._error("invalid", _("Unknown event type.")))
            return
        await handler(self, self.user, content)

    async def _ping(self, user: User, content: dict[str, Any]) -> None:
        await self._touch(user.pk)
        await self.send_json(events.PONG)

    async def _message_send(self, user: User, content: dict[str, Any]) -> None:
        ids = {"client_id": content.get("client_id"), "thread_id": content.get("thread_id")}
        with translation.override(user.language):
            serializer = MessageSendFrameSerializer(data=content)
            valid = serializer.is_valid()
            fields = None if valid else flatten_fields(serializer.errors)
        if fields is not None:
            await self.send_json(self._error("invalid", MESSAGES["invalid"], fields=fields, **ids))
            return
        send = in_worker_thread(_send)
        try:
            message, created = await send(self.claims or {}, dict(serializer.validated_data))
        except SessionEnded:
            await self.close(code=CLOSE_UNAUTHORIZED)
            return
        except Http404:
            await self.send_json(self._error("not_found", MESSAGES["not_found"], **ids))
            return
        except DomainError as exc:
            error = self._error(exc.code, exc.message, fields=exc.fields, **ids)
            await self.send_json(error)
            return
        except Exception as exc:
            if is_database_unavailable(exc):
                # The client resends with the same client_id once the database is back.
                unavailable = MESSAGES["service_unavailable"]
                await self.send_json(self._error("service_unavailable", unavailable, **ids))
                return
            logger.exception("Could not send a chat message")
            await self.send_json(self._error("server_error", MESSAGES["server_error"], **ids))
            return
        if not created:
            # A repeat announces nothing to the group: the sender still learns the outcome.
            await self.send_json(events.message_new(message))

    # --- From the channel layer -----------------------------------------------------------

    async def chat_event(self, message: dict[str, Any]) -> None:
        await self.send_json(message["event"])

    async def session_revoked(self, message: dict[str, Any]) -> None:
        if message["token_version"] > self.token_version:
            await self.close(code=CLOSE_UNAUTHORIZED)

    async def login_revoked(self, message: dict[str, Any]) -> None:
        if message["session_id"] == self.session_id:
            await self.close(code=CLOSE_UNAUTHORIZED)


# The frames a client may send, by type (docs/asyncapi.yaml describes each, and its test holds
# this table to the document); any other type is answered with an `invalid` error.
CLIENT_FRAMES: dict[str, Callable[[ChatConsumer, User, dict[str, Any]], Awaitable[None]]] = {
    "ping": ChatConsumer._ping,
    "message.send": ChatConsumer._message_send,
}
