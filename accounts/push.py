"""Sending push notifications, through the backend `settings.PUSH_BACKEND` names.

`expo` posts to Expo's push service (exponent_server_sdk), `locmem` keeps messages in `outbox`
for tests, `console` logs them. Titles and bodies arrive already in the recipient's language.
"""

import logging
from dataclasses import dataclass, field
from typing import Any

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from exponent_server_sdk import (
    DeviceNotRegisteredError,
    PushClient,
    PushServerError,
    PushTicketError,
)
from exponent_server_sdk import PushMessage as ExpoMessage

logger = logging.getLogger("accounts.push")

# Expo's documented ceiling per request ("an array of up to 100 message objects");
# the SDK splits longer lists into requests of this size.
EXPO_MAX_MESSAGES_PER_REQUEST = 100
EXPO_TIMEOUT_SECONDS = 10
_TOKEN_PREFIX_LENGTH = 22  # "ExponentPushToken[" and a few characters: enough to tell apart


@dataclass(frozen=True)
class PushMessage:
    token: str
    title: str
    body: str
    data: dict[str, Any] = field(default_factory=dict)


# The `locmem` backend's sent messages; tests clear it.
outbox: list[PushMessage] = []


class PushTemporaryError(Exception):
    """Expo could not take the messages now (network, 429, 5xx); trying later may work."""


def send_push(messages: list[PushMessage]) -> list[str]:
    """Send each message; return the tokens that can no longer receive pushes (to forget).

    Raises PushTemporaryError when the whole request failed in a way a retry may fix. The
    messages of one call go out together, so a retry may deliver some of them twice; Expo's
    own delivery is at-least-once too.
    """
    if not messages:
        return []
    backend = settings.PUSH_BACKEND  # read per call, so tests can switch it
    if backend == "locmem":
        outbox.extend(messages)
        return []
    if backend == "console":
        for message in messages:
            logger.info("Push to %s…: %s — %s", _prefix(message.token), message.title, message.body)
        return []
    if backend == "expo":
        return _send_expo(messages)
    raise ImproperlyConfigured(f"Unknown PUSH_BACKEND {backend!r}.")


def _prefix(token: str) -> str:
    # A token is a send-to address; logs need only enough of it to tell devices apart.
    return token[:_TOKEN_PREFIX_LENGTH]


def _http_session() -> requests.Session:
    # A seam: tests mount a fake transport on the session instead of reaching the network.
    return requests.Session()


def _expo_session() -> requests.Session:
    session = _http_session()
    # The SDK sets these headers only on a session it creates itself.
    session.headers.update(
        {
            "accept": "application/json",
            "accept-encoding": "gzip, deflate",
            "content-type": "application/json",
        }
    )
    if settings.EXPO_ACCESS_TOKEN:
        # Expo's "enhanced push security": with it on, requests without the token are refused.
        session.headers["Authorization"] = f"Bearer {settings.EXPO_ACCESS_TOKEN}"
    return session


def _is_transient(status_code: int | None) -> bool:
    # Expo's guidance: back off and retry on network errors, 429 and 5xx; a 4xx is for good.
    return status_code is None or status_code == 429 or status_code >= 500


def _send_expo(messages: list[PushMessage]) -> list[str]:
    dead: list[str] = []
    sendable: list[PushMessage] = []
    for message in messages:
        # The SDK refuses a whole batch over one malformed token; such a token never works.
        if PushClient.is_exponent_push_token(message.token):
            sendable.append(message)
        else:
            logger.warning("Not an Expo push token: %s…", _prefix(message.token))
            dead.append(message.token)
    if not sendable:
        return dead

    expo_messages = [
        ExpoMessage(to=m.token, title=m.title, body=m.body, data=m.data, sound="default")
        for m in sendable
    ]
    try:
        with _expo_session() as session:
            client = PushClient(
                session=session,
                timeout=EXPO_TIMEOUT_SECONDS,
                max_message_count=EXPO_MAX_MESSAGES_PER_REQUEST,
            )
            tickets = client.publish_multiple(expo_messages)
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise PushTemporaryError(f"Expo unreachable: {exc.__class__.__name__}") from exc
    except (PushServerError, requests.HTTPError) as exc:
        status_code = getattr(exc.response, "status_code", None)
        if _is_transient(status_code):
            raise PushTemporaryError(f"Expo answered HTTP {status_code}: {exc}") from exc
        # A bad access token or payload: no retry will fix it, and no token is known dead.
        logger.error("Expo refused the push request (HTTP %s): %s", status_code, exc)
        return dead

    for ticket in tickets:
        try:
            ticket.validate_response()
        except DeviceNotRegisteredError:
            dead.append(ticket.push_message.to)
        except PushTicketError as exc:
            # MessageTooBig, MessageRateExceeded...: this one message is lost; the rest went.
            logger.warning("Expo refused a push to %s…: %s", _prefix(ticket.push_message.to), exc)
    return dead
