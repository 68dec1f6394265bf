"""SMS: the console and in-memory backends, Nikita's XML API, and the retrying task."""

import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from accounts import sms
from accounts.sms import SmsRejected, SmsTemporaryError, new_message_id, send_sms
from accounts.tasks import send_sms_task
from marketplace.celery import app
from tests.fakes import Answer, FakeHTTP

PHONE = "+996700123456"
GATEWAY_URL = "https://smspro.nikita.kg/api/message"


def answer(status: int, message_id: str = "abc123") -> tuple[int, bytes]:
    """The gateway's documented answer to /api/message."""
    return (
        200,
        b'<?xml version="1.0" encoding="UTF-8"?><response>'
        b"<id>" + message_id.encode() + b"</id><status>" + str(status).encode() + b"</status>"
        b"<phones>1</phones><smscnt>1</smscnt></response>",
    )


def sent_ids(gateway: FakeHTTP) -> list[str | None]:
    # Parsing the bodies this test itself had built.
    return [ET.fromstring(r.body or b"").findtext("id") for r in gateway.requests]  # noqa: S314


@pytest.fixture(autouse=True)
def _empty_outbox() -> Iterator[None]:
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture
def gateway(settings: Any, monkeypatch: pytest.MonkeyPatch) -> FakeHTTP:
    settings.SMS_BACKEND = "http"
    settings.SMS_HTTP_URL = GATEWAY_URL
    settings.SMS_HTTP_LOGIN = "market"
    settings.SMS_HTTP_PASSWORD = "s3cret"
    settings.SMS_HTTP_SENDER = "360.kg"
    settings.SMS_HTTP_TIMEOUT_SECONDS = 7
    return FakeHTTP(answer(0), content_type="text/xml; charset=utf-8").install(monkeypatch, sms)


# --- console and locmem ----------------------------------------------------------------------


def test_the_console_backend_logs_the_message(
    settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.SMS_BACKEND = "console"

    with caplog.at_level(logging.INFO, logger="accounts.sms"):
        send_sms(phone=PHONE, text="360 Marketplace code: 123456.")

    lines = [r.getMessage() for r in caplog.records if r.name == "accounts.sms"]
    assert lines == ["SMS to +996700123456: 360 Marketplace code: 123456."]
    assert sms.outbox == []


def test_the_locmem_backend_keeps_the_message_in_the_outbox(settings: Any) -> None:
    settings.SMS_BACKEND = "locmem"

    send_sms(phone=PHONE, text="Hello")

    assert sms.outbox == [sms.SmsMessage(PHONE, "Hello")]


# --- Nikita's XML API ------------------------------------------------------------------------


def test_the_http_backend_posts_the_documented_xml(gateway: FakeHTTP) -> None:
    gateway.replies = [answer(0, "Ab12Cd34Ef56")]
    expected = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        "<message><login>market</login><pwd>s3cret</pwd><id>Ab12Cd34Ef56</id>"
        "<sender>360.kg</sender><text>Код: 123456 &amp; &lt;ok&gt;</text>"
        "<phones><phone>996700123456</phone></phones></message>"
    )

    send_sms(phone=PHONE, text="Код: 123456 & <ok>", message_id="Ab12Cd34Ef56")

    (request,) = gateway.requests
    assert request.method == "POST"
    assert request.url == GATEWAY_URL
    assert request.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert gateway.timeouts == [7]
    assert request.body == expected.encode()


def test_each_message_gets_a_fresh_id_of_the_documented_shape(gateway: FakeHTTP) -> None:
    send_sms(phone=PHONE, text="one")
    send_sms(phone=PHONE, text="two")

    first, second = sent_ids(gateway)
    assert first != second
    assert all(re.fullmatch(r"[A-Za-z0-9]{12}", i or "") for i in (first, second))


def test_a_seeded_id_is_stable_and_of_the_documented_shape() -> None:
    seeded = new_message_id(seed="4992d551-ebed-4c8e-aafd-2caf6987d31d")

    assert seeded == new_message_id(seed="4992d551-ebed-4c8e-aafd-2caf6987d31d")
    assert seeded != new_message_id(seed="another task")
    assert re.fullmatch(r"[A-Za-z0-9]{12}", seeded)


def test_an_answer_in_a_namespace_is_understood(gateway: FakeHTTP) -> None:
    gateway.replies = [
        (200, b'<response xmlns="http://Giper.mobi/schema/Message"><status>0</status></response>')
    ]

    send_sms(phone=PHONE, text="Hello")  # no exception: accepted

    assert len(gateway.requests) == 1


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (1, SmsRejected),  # malformed request
        (2, SmsRejected),  # wrong login or password
        (3, SmsRejected),  # IP address not allowed
        (4, SmsTemporaryError),  # insufficient funds: a top-up fixes it
        (5, SmsRejected),  # sender name not allowed
        (6, SmsRejected),  # blocked by stop words
        (7, SmsRejected),  # invalid phone number
        (8, SmsRejected),  # invalid send time
        (9, SmsTemporaryError),  # processing timed out: repeat with the same id
        (10, SmsRejected),  # message id repeated
        (11, SmsRejected),  # test mode
        (42, SmsRejected),  # undocumented
    ],
)
def test_each_documented_refusal_is_temporary_or_final(
    gateway: FakeHTTP, status: int, error: type[Exception]
) -> None:
    gateway.replies = [answer(status)]

    with pytest.raises(error, match=f"status {status} ") as caught:
        send_sms(phone=PHONE, text="Hello")

    assert isinstance(caught.value, sms.SmsError)
    assert caught.value.status == status


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (requests.ConnectTimeout("connect timed out"), SmsTemporaryError),
        (requests.ReadTimeout("read timed out"), SmsTemporaryError),
        (requests.ConnectionError("connection refused"), SmsTemporaryError),
        ((503, b"Service Unavailable"), SmsTemporaryError),
        ((429, b"Too Many Requests"), SmsTemporaryError),
        ((200, b"<html>Bad gateway</html>"), SmsTemporaryError),  # a proxy's page
        ((200, b"not xml at all"), SmsTemporaryError),
        ((404, b"Not Found"), SmsRejected),  # a wrong SMS_HTTP_URL
    ],
)
def test_transport_failures_are_temporary_or_final(
    gateway: FakeHTTP, reply: Answer, error: type[Exception]
) -> None:
    gateway.replies = [reply]

    with pytest.raises(error):
        send_sms(phone=PHONE, text="Hello")


# --- the task --------------------------------------------------------------------------------


@pytest.mark.usefixtures("eager_retries")
def test_the_task_retries_temporary_failures_with_the_same_message_id(
    gateway: FakeHTTP,
) -> None:
    gateway.replies = [answer(9), requests.ConnectTimeout("timed out"), answer(0)]

    result = send_sms_task.apply(kwargs={"phone": PHONE, "text": "Hello"})

    assert result.state == "SUCCESS"
    assert len(gateway.requests) == 3
    ids = sent_ids(gateway)
    assert len(set(ids)) == 1  # the gateway drops a repeat of an attempt that got through


@pytest.mark.usefixtures("eager_retries")
def test_the_task_gives_up_after_its_retries(gateway: FakeHTTP) -> None:
    gateway.replies = [answer(9)]

    result = send_sms_task.apply(kwargs={"phone": PHONE, "text": "Hello"})

    assert result.state == "FAILURE"
    assert isinstance(result.result, SmsTemporaryError)
    assert len(gateway.requests) == send_sms_task.max_retries + 1


def test_the_task_logs_a_rejection_with_a_masked_phone_and_does_not_retry(
    gateway: FakeHTTP, caplog: pytest.LogCaptureFixture
) -> None:
    gateway.replies = [answer(7)]

    with caplog.at_level(logging.ERROR, logger="accounts.tasks"):
        result = send_sms_task.apply(kwargs={"phone": PHONE, "text": "Hello"})

    assert result.state == "SUCCESS"
    assert len(gateway.requests) == 1
    (record,) = [r for r in caplog.records if r.name == "accounts.tasks"]
    assert "***456" in record.getMessage()
    assert PHONE not in record.getMessage()
    assert "status 7" in record.getMessage()


def test_the_task_retries_only_on_temporary_errors() -> None:
    assert issubclass(SmsTemporaryError, send_sms_task.autoretry_for)
    assert not issubclass(SmsRejected, send_sms_task.autoretry_for)
    assert send_sms_task.acks_late


@pytest.fixture
def not_eager() -> Iterator[None]:
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = True


@pytest.mark.usefixtures("not_eager")
def test_the_queued_task_keeps_the_code_and_phone_out_of_celery_logs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a real (not eager) send, captured at the broker's door
    sent: list[dict[str, Any]] = []
    monkeypatch.setattr(app, "send_task", lambda name, args, kwargs, **opts: sent.append(opts))

    # When the task is enqueued
    send_sms_task.apply_async(kwargs={"phone": PHONE, "text": "Code: 123456"})

    # Then the worker's log records get a masked stand-in for the kwargs
    (options,) = sent
    assert options["kwargsrepr"] == repr({"phone": "***456", "text": "[redacted]"})
