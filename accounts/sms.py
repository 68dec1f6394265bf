"""Sending one SMS, through the backend `settings.SMS_BACKEND` names.

`console` logs the message (`make run`: developers read their login code there), `locmem` keeps
it in `outbox` for tests, and `http` posts it to Nikita's gateway (smspro.nikita.kg). Callers
build the text, already in the recipient's language; this module never words anything.
"""

import hashlib
import logging
import secrets
import string
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger("accounts.sms")


@dataclass(frozen=True)
class SmsMessage:
    phone: str
    text: str


# The `locmem` backend's sent messages; tests clear it.
outbox: list[SmsMessage] = []


class SmsError(Exception):
    """The gateway did not take the message."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class SmsTemporaryError(SmsError):
    """Trying again later may work (network, gateway overload, an empty balance)."""


class SmsRejected(SmsError):
    """The gateway refused the message for good; sending it again would fail the same way."""


def send_sms(*, phone: str, text: str, message_id: str | None = None) -> None:
    """Send `text` to `phone` (E.164, `+996XXXXXXXXX`).

    `message_id` is the gateway's de-duplication key: give the same id when sending the same
    message again (a retry), so an attempt that reached the gateway but whose answer was lost
    is not delivered twice. Without one, a fresh id is drawn.
    Raises SmsTemporaryError or SmsRejected (the `http` backend only).
    """
    backend = settings.SMS_BACKEND  # read per call, so tests can switch it
    if backend == "console":
        logger.info("SMS to %s: %s", phone, text)
    elif backend == "locmem":
        outbox.append(SmsMessage(phone, text))
    elif backend == "http":
        _send_http(phone=phone, text=text, message_id=message_id or new_message_id())
    else:
        raise ImproperlyConfigured(f"Unknown SMS_BACKEND {backend!r}.")


def mask_phone(phone: str) -> str:
    """The phone as logs may show it: its last three digits."""
    return f"***{phone[-3:]}"


# --- Nikita's XML API ------------------------------------------------------------------------
#
# Request and answer as documented in Nikita's XML protocol (the PDF "smspro.nikita.kg API"),
# read through the clients that follow it: taalaibekdev/SmsProNikita (C#, 2025:
# src/SmsProNikita/Internal/ProtocolXml.cs, Models/SmsSendStatus.cs, README.md) and the
# status tables of older clients (2rusbekov/smspro-nikita, the PHP and Node ones).
#
#   POST /api/message  <message><login/><pwd/><id/><sender/><text/><phones><phone/></phones>
#                      </message>
#   answer             <response><id/><status/><phones/><smscnt/></response>
#
# `id`: up to 12 Latin letters and digits, unique per message; the gateway blocks a repeated
# one (status 10). `phone`: 996XXXXXXXXX. `text`: UTF-8, up to 800 characters.

_ID_ALPHABET = string.ascii_letters + string.digits
_ID_LENGTH = 12  # the documented maximum; 62**12 ids make a collision practically impossible
_XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>'

# The documented `status` codes other than 0 (accepted).
_STATUS_MEANINGS = {
    1: "malformed request",
    2: "wrong login or password",
    3: "IP address not allowed",
    4: "insufficient funds",
    5: "sender name not allowed",
    6: "blocked by stop words",
    7: "invalid phone number",
    8: "invalid send time",
    9: "request processing timed out",
    10: "message id repeated",
    11: "test mode: processed, not sent",
}
# The refusals a later attempt can get past. 9: the current documentation says to repeat the
# request with the same id after 5-10 s (older versions called 9 a spam-filter block; retries
# are bounded, so reading it as temporary costs little either way). 4: a top-up fixes it, and
# the backoff spans about twenty minutes. Every other code needs a person to change something.
_TEMPORARY_STATUSES = frozenset({4, 9})


def new_message_id(seed: str | None = None) -> str:
    """A gateway message id: derived from `seed` (the same seed gives the same id), or random."""
    if seed is None:
        return "".join(secrets.choice(_ID_ALPHABET) for _ in range(_ID_LENGTH))
    number = int.from_bytes(hashlib.sha256(seed.encode()).digest(), "big")
    digits = []
    for _ in range(_ID_LENGTH):
        number, index = divmod(number, len(_ID_ALPHABET))
        digits.append(_ID_ALPHABET[index])
    return "".join(digits)


def _http_session() -> requests.Session:
    # A seam: tests mount a fake transport on the session instead of reaching the network.
    return requests.Session()


def _request_body(*, phone: str, text: str, message_id: str) -> bytes:
    login, password = settings.SMS_HTTP_LOGIN, settings.SMS_HTTP_PASSWORD
    if not (login and password):
        raise ImproperlyConfigured("SMS_BACKEND=http needs SMS_HTTP_LOGIN and SMS_HTTP_PASSWORD.")
    root = ET.Element("message")
    fields = {
        "login": login,
        "pwd": password,
        "id": message_id,
        "sender": settings.SMS_HTTP_SENDER,
        "text": text,
    }
    for tag, value in fields.items():
        ET.SubElement(root, tag).text = value  # ElementTree escapes &, < and >
    phones = ET.SubElement(root, "phones")
    ET.SubElement(phones, "phone").text = phone.removeprefix("+")
    return _XML_DECLARATION + ET.tostring(root, encoding="unicode").encode()


def _child_text(element: ET.Element, name: str) -> str | None:
    # By local name: the gateway sometimes puts its answer in an XML namespace.
    for child in element:
        if child.tag.rsplit("}", 1)[-1] == name:
            return (child.text or "").strip()
    return None


def _send_http(*, phone: str, text: str, message_id: str) -> None:
    body = _request_body(phone=phone, text=text, message_id=message_id)
    try:
        with _http_session() as session:
            response = session.post(
                settings.SMS_HTTP_URL,
                data=body,
                headers={"Content-Type": "text/xml; charset=utf-8"},
                timeout=settings.SMS_HTTP_TIMEOUT_SECONDS,
            )
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise SmsTemporaryError(f"SMS gateway unreachable: {exc.__class__.__name__}") from exc

    if response.status_code == 429 or response.status_code >= 500:
        raise SmsTemporaryError(f"SMS gateway answered HTTP {response.status_code}")
    if response.status_code >= 400:
        raise SmsRejected(f"SMS gateway answered HTTP {response.status_code}")
    try:
        # ElementTree rather than defusedxml (not installed): the answer comes from our own
        # gateway over TLS, and the bundled expat (>= 2.4.1) refuses entity-expansion bombs.
        root = ET.fromstring(response.content)  # noqa: S314
        status = int(_child_text(root, "status") or "")
    except (ET.ParseError, ValueError) as exc:
        # A proxy's error page, say. Retrying is safe: the gateway drops a repeated id.
        raise SmsTemporaryError("SMS gateway answer has no readable status") from exc

    if status == 0:
        logger.info("SMS to %s accepted by the gateway, id %s", mask_phone(phone), message_id)
        return
    meaning = _STATUS_MEANINGS.get(status, "undocumented status")
    error = SmsTemporaryError if status in _TEMPORARY_STATUSES else SmsRejected
    raise error(f"SMS gateway refused the message: status {status} ({meaning})", status=status)
