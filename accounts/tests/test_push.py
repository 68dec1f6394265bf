"""Push: the in-memory, console and Expo backends, the task, and `notify_user`."""

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from django.utils.translation import gettext_lazy as _

from accounts import push
from accounts.models import Device, User
from accounts.notifications import notify_user
from accounts.push import PushMessage, PushTemporaryError, send_push
from accounts.tasks import send_push_task
from accounts.tests.factories import UserFactory
from tests.fakes import Answer, FakeHTTP, Reply, json_answer

pytestmark = pytest.mark.django_db

EXPO_URL = "https://exp.host/--/api/v2/push/send"
LIVE = "ExponentPushToken[aaaaaaaaaaaaaaaaaaaaaa]"
DEAD = "ExponentPushToken[bbbbbbbbbbbbbbbbbbbbbb]"


def ok_ticket(index: int) -> dict[str, Any]:
    return {"status": "ok", "id": f"00000000-0000-0000-0000-{index:012d}"}


def not_registered_ticket(token: str) -> dict[str, Any]:
    # Expo's documented push ticket for a dead token.
    return {
        "status": "error",
        "message": f'"{token}" is not a registered push notification recipient',
        "details": {"error": "DeviceNotRegistered"},
    }


def tickets_for(*dead: str) -> Reply:
    """Expo's answer to a request: a ticket per message, accepted unless its token is dead."""

    def answer(request: requests.PreparedRequest) -> tuple[int, bytes]:
        messages = json.loads(request.body or "[]")
        data = [
            not_registered_ticket(m["to"]) if m["to"] in dead else ok_ticket(i)
            for i, m in enumerate(messages)
        ]
        return json_answer(200, {"data": data})

    return answer


@pytest.fixture(autouse=True)
def _empty_outbox() -> Iterator[None]:
    push.outbox.clear()
    yield
    push.outbox.clear()


@pytest.fixture
def expo(settings: Any, monkeypatch: pytest.MonkeyPatch) -> FakeHTTP:
    settings.PUSH_BACKEND = "expo"
    settings.EXPO_ACCESS_TOKEN = "expo-access-token"
    return FakeHTTP(tickets_for()).install(monkeypatch, push)


def device(user: User, token: str) -> Device:
    return Device.objects.create(user=user, expo_push_token=token, platform="android")


# --- locmem and console ----------------------------------------------------------------------


def test_the_locmem_backend_keeps_the_messages_in_the_outbox() -> None:
    message = PushMessage(token=LIVE, title="Hi", body="There", data={"a": 1})

    assert send_push([message]) == []

    assert push.outbox == [message]


def test_the_console_backend_logs_a_line_per_message(
    settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.PUSH_BACKEND = "console"

    with caplog.at_level(logging.INFO, logger="accounts.push"):
        send_push([PushMessage(token=LIVE, title="Sold", body="Your car is sold")])

    lines = [r.getMessage() for r in caplog.records if r.name == "accounts.push"]
    assert lines == ["Push to ExponentPushToken[aaaa…: Sold — Your car is sold"]


# --- Expo --------------------------------------------------------------------------------------


def test_expo_gets_the_documented_request_and_dead_tokens_come_back(expo: FakeHTTP) -> None:
    expo.replies = [tickets_for(DEAD)]

    dead = send_push(
        [
            PushMessage(token=LIVE, title="Live", body="Your listing is live", data={"id": "7"}),
            PushMessage(token=DEAD, title="Live", body="Your listing is live"),
        ]
    )

    assert dead == [DEAD]
    (request,) = expo.requests
    assert request.method == "POST"
    assert request.url == EXPO_URL
    assert request.headers["Authorization"] == "Bearer expo-access-token"
    assert request.headers["content-type"] == "application/json"
    assert expo.timeouts == [push.EXPO_TIMEOUT_SECONDS]
    assert expo.json_sent() == [
        [
            {
                "to": LIVE,
                "title": "Live",
                "body": "Your listing is live",
                "data": {"id": "7"},
                "sound": "default",
            },
            {
                "to": DEAD,
                "title": "Live",
                "body": "Your listing is live",
                "data": {},
                "sound": "default",
            },
        ]
    ]


def test_without_an_access_token_no_authorization_is_sent(settings: Any, expo: FakeHTTP) -> None:
    settings.EXPO_ACCESS_TOKEN = None

    send_push([PushMessage(token=LIVE, title="t", body="b")])

    assert "Authorization" not in expo.requests[0].headers


def test_expo_gets_at_most_a_hundred_messages_per_request(expo: FakeHTTP) -> None:
    messages = [
        PushMessage(token=f"ExponentPushToken[{i:022d}]", title="t", body="b") for i in range(150)
    ]

    send_push(messages)

    assert [len(batch) for batch in expo.json_sent()] == [100, 50]


def test_other_ticket_errors_are_logged_and_the_token_kept(
    expo: FakeHTTP, caplog: pytest.LogCaptureFixture
) -> None:
    too_big = {
        "status": "error",
        "message": "Message too big",
        "details": {"error": "MessageTooBig"},
    }
    expo.replies = [json_answer(200, {"data": [too_big]})]

    with caplog.at_level(logging.WARNING, logger="accounts.push"):
        dead = send_push([PushMessage(token=LIVE, title="t", body="b")])

    assert dead == []
    assert "Message too big" in caplog.text


def test_a_malformed_token_is_reported_dead_without_a_request(expo: FakeHTTP) -> None:
    dead = send_push([PushMessage(token="not-a-token", title="t", body="b")])

    assert dead == ["not-a-token"]
    assert expo.requests == []


@pytest.mark.parametrize(
    "answer",
    [
        requests.ConnectionError("connection refused"),
        requests.ReadTimeout("read timed out"),
        json_answer(503, {"errors": [{"code": "INTERNAL", "message": "down"}]}),
        json_answer(429, {"errors": [{"code": "TOO_MANY_REQUESTS", "message": "slow"}]}),
    ],
    ids=["connection", "timeout", "503", "429"],
)
def test_transient_expo_failures_are_temporary(expo: FakeHTTP, answer: Answer) -> None:
    expo.replies = [answer]

    with pytest.raises(PushTemporaryError):
        send_push([PushMessage(token=LIVE, title="t", body="b")])


def test_a_refused_request_is_logged_not_retried(
    expo: FakeHTTP, caplog: pytest.LogCaptureFixture
) -> None:
    expo.replies = [
        json_answer(401, {"errors": [{"code": "UNAUTHORIZED", "message": "bad access token"}]})
    ]

    with caplog.at_level(logging.ERROR, logger="accounts.push"):
        dead = send_push([PushMessage(token=LIVE, title="t", body="b")])

    assert dead == []
    assert "Expo refused the push request (HTTP 401)" in caplog.text


# --- the task ----------------------------------------------------------------------------------


def test_the_task_forgets_devices_expo_reports_unregistered(expo: FakeHTTP) -> None:
    # Given a user with a live and a dead device, and another user's device
    user = UserFactory()
    device(user, LIVE)
    device(user, DEAD)
    other = device(UserFactory(), "ExponentPushToken[cccccccccccccccccccccc]")
    expo.replies = [tickets_for(DEAD)]

    # When a push is sent to the user
    send_push_task.apply(kwargs={"user_id": str(user.pk), "title": "t", "body": "b", "data": None})

    # Then both devices were tried, and only the dead one is forgotten
    assert sorted(m["to"] for m in expo.json_sent()[0]) == [LIVE, DEAD]
    assert list(Device.objects.filter(user=user).values_list("expo_push_token", flat=True)) == [
        LIVE
    ]
    assert Device.objects.filter(pk=other.pk).exists()


def test_the_task_sends_nothing_to_an_inactive_user() -> None:
    user = UserFactory(is_active=False)
    device(user, LIVE)

    send_push_task.apply(kwargs={"user_id": str(user.pk), "title": "t", "body": "b"})

    assert push.outbox == []


def test_the_task_retries_only_on_temporary_errors() -> None:
    assert issubclass(PushTemporaryError, send_push_task.autoretry_for)
    assert send_push_task.acks_late


@pytest.mark.usefixtures("eager_retries")
def test_the_task_retries_when_expo_is_down(expo: FakeHTTP) -> None:
    user = UserFactory()
    device(user, LIVE)
    expo.replies = [
        json_answer(503, {"errors": [{"code": "INTERNAL", "message": "down"}]}),
        tickets_for(),
    ]

    result = send_push_task.apply(kwargs={"user_id": str(user.pk), "title": "t", "body": "b"})

    assert result.state == "SUCCESS"
    assert len(expo.requests) == 2


# --- notify_user -------------------------------------------------------------------------------


def test_notify_user_renders_in_each_users_language_after_commit(
    django_capture_on_commit_callbacks: Any,
) -> None:
    # Given a Russian and an English speaker, each with a device
    russian = UserFactory(language="ru")
    english = UserFactory(language="en")
    device(russian, "ExponentPushToken[rrrrrrrrrrrrrrrrrrrrrr]")
    device(english, "ExponentPushToken[eeeeeeeeeeeeeeeeeeeeee]")

    # When both are notified with the same lazy strings
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        for user in (russian, english):
            notify_user(
                user=user,
                title=_("Not found."),
                body=_("“%(value)s” value must be a float."),
                params={"value": "abc"},
                data={"listing_id": "42"},
            )
        assert push.outbox == []  # nothing leaves before the commit

    # Then each got it in their own language, with the placeholders filled
    assert len(callbacks) == 2
    assert push.outbox == [
        PushMessage(
            token="ExponentPushToken[rrrrrrrrrrrrrrrrrrrrrr]",
            title="Не найдено.",
            body="Значение “abc” должно быть числом с плавающей точкой.",
            data={"listing_id": "42"},
        ),
        PushMessage(
            token="ExponentPushToken[eeeeeeeeeeeeeeeeeeeeee]",
            title="Not found.",
            body="“abc” value must be a float.",
            data={"listing_id": "42"},
        ),
    ]


def test_notify_user_skips_users_without_devices_and_inactive_ones(
    django_capture_on_commit_callbacks: Any,
) -> None:
    no_device = UserFactory()
    inactive = UserFactory(is_active=False)
    device(inactive, LIVE)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notify_user(user=no_device, title=_("Not found."), body=_("Not found."))
        notify_user(user=inactive, title=_("Not found."), body=_("Not found."))

    assert callbacks == []
    assert push.outbox == []
