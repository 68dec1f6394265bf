"""The AI pre-check against recorded Messages API answers, through the real SDK.

No network: `moderation.ai._client` is wrapped so the SDK client it builds (with the settings'
key, timeout and retries) sends through an `httpx2.MockTransport` that plays the recordings in
`fixtures/` and captures every request. The SDK parses the answers, raises its own errors and
runs its own retry loop; only its sleep between attempts is replaced (and recorded).
"""

import base64
import json
import logging
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import anthropic
import anthropic._base_client
import httpx2
import pytest

from moderation import ai
from moderation.rules import Image
from moderation.tests.test_rules import CLEAN_CAR, clean_snapshot

FIXTURES = Path(__file__).parent / "fixtures"
KEY = "sk-ant-test-key"
JPEG = b"\xff\xd8\xff\xe0 a jpeg"
PNG = b"\x89PNG\r\n\x1a\n a png"
WEBP = b"RIFF\x10\x00\x00\x00WEBPVP8 a webp"
HEIC = b"\x00\x00\x00\x18ftypheic a heic"

Answer = str | Exception  # a fixture's name, or an exception the transport raises


def recording(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())


class FakeAnthropicAPI:
    """Plays recorded answers in order and keeps every request the SDK sent."""

    def __init__(self) -> None:
        self.answers: list[Answer] = []
        self.requests: list[httpx2.Request] = []

    def play(self, *answers: Answer) -> None:
        self.answers.extend(answers)

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        recorded = recording(answer)
        return httpx2.Response(
            recorded["status"],
            headers=recorded["headers"],
            content=json.dumps(recorded["body"]).encode(),
            request=request,
        )

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(request.content) for request in self.requests]


class RecordingTime:
    """The SDK's `time` module with `sleep` recorded instead of slept."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch, settings: Any) -> Iterator[FakeAnthropicAPI]:
    settings.ANTHROPIC_API_KEY = KEY
    # The environment must not redirect or decorate the SDK's requests.
    monkeypatch.delenv("ANTHROPIC_BASE_URL", raising=False)
    monkeypatch.delenv("ANTHROPIC_CUSTOM_HEADERS", raising=False)
    fake = FakeAnthropicAPI()
    real_client: Callable[[], anthropic.Anthropic] = ai._client

    def client_with_mock_transport() -> anthropic.Anthropic:
        http_client = anthropic.DefaultHttpxClient(transport=httpx2.MockTransport(fake.handle))
        return real_client().copy(http_client=http_client)

    monkeypatch.setattr(ai, "_client", client_with_mock_transport)
    yield fake
    assert fake.answers == [], "some recorded answers were never asked for"


@pytest.fixture
def sdk_time(monkeypatch: pytest.MonkeyPatch) -> RecordingTime:
    recorder = RecordingTime()
    monkeypatch.setattr(anthropic._base_client, "time", recorder)
    return recorder


def unavailable(why: str) -> ai.Verdict:
    return ai.Verdict("needs_review", 50, [f"AI pre-check unavailable: {why}"], [], "anthropic")


# --- Which pre-check runs ---------------------------------------------------------------------


@pytest.mark.parametrize("key", [None, ""])
def test_without_a_key_the_rules_decide(
    key: str | None, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.ANTHROPIC_API_KEY = key
    monkeypatch.setattr(ai, "_client", lambda: pytest.fail("no API call without a key"))

    verdict = ai.precheck(CLEAN_CAR)

    assert verdict == ai.Verdict("approve", 5, [], [], "rules")


def test_without_the_setting_at_all_the_rules_decide(settings: Any) -> None:
    del settings.ANTHROPIC_API_KEY

    assert ai.precheck(CLEAN_CAR).source == "rules"


def test_with_a_key_the_ai_decides(api: FakeAnthropicAPI) -> None:
    api.play("message_tool_use_approve")

    verdict = ai.precheck(CLEAN_CAR)

    assert verdict == ai.Verdict("approve", 8, [], [], "anthropic")
    assert len(api.requests) == 1


def test_the_tool_call_becomes_the_verdict(api: FakeAnthropicAPI) -> None:
    api.play("message_tool_use_review")

    verdict = ai.precheck(CLEAN_CAR)

    assert verdict == ai.Verdict(
        "needs_review",
        64,
        [
            "The seller demands prepayment before a viewing",
            "The price is far below similar cars",
        ],
        ["fraud_suspected", "wrong_price"],
        "anthropic",
    )


# --- What the SDK sends -----------------------------------------------------------------------


def test_the_request_asks_for_one_forced_tool_call(api: FakeAnthropicAPI) -> None:
    api.play("message_tool_use_approve")

    ai.precheck(CLEAN_CAR)

    request = api.requests[0]
    assert request.method == "POST"
    assert request.url.path == "/v1/messages"
    # The SDK sends the key as `x-api-key` or, in 2.x, as a bearer token.
    assert request.headers.get("x-api-key") == KEY or (
        request.headers.get("authorization") == f"Bearer {KEY}"
    )
    body = api.bodies[0]
    assert body["model"] == "claude-haiku-4-5"
    assert body["max_tokens"] == ai.MAX_TOKENS
    assert body["tool_choice"] == {"type": "tool", "name": "record_verdict"}
    [tool] = body["tools"]
    assert tool["name"] == "record_verdict"
    schema = tool["input_schema"]
    assert schema["required"] == ["verdict", "risk_score", "reasons", "reason_codes"]
    assert schema["properties"]["verdict"]["enum"] == ["approve", "reject", "needs_review"]
    assert schema["properties"]["risk_score"] == {
        "type": "integer",
        "minimum": 0,
        "maximum": 100,
        "description": schema["properties"]["risk_score"]["description"],
    }
    assert schema["properties"]["reasons"]["items"] == {"type": "string"}
    assert schema["properties"]["reasons"]["maxItems"] == 5
    assert schema["properties"]["reason_codes"]["items"]["enum"] == [
        "prohibited_item",
        "fraud_suspected",
        "bad_media",
        "wrong_category",
        "wrong_price",
        "contact_in_text",
        "duplicate",
        "other",
    ]
    assert "Kyrgyzstan" in body["system"]
    assert "chat" in body["system"]


def test_the_listing_goes_as_json_with_its_photos_as_base64_image_blocks(
    api: FakeAnthropicAPI,
) -> None:
    api.play("message_tool_use_approve")
    snapshot = clean_snapshot(
        images=(Image("image/jpeg", JPEG), Image("image/png", PNG)),
        similar_median_price_kgs=Decimal("2000000"),
        duplicate_listings=1,
        seller_account_age_days=3,
    )

    ai.precheck(snapshot)

    [message] = api.bodies[0]["messages"]
    assert message["role"] == "user"
    first, second, text = message["content"]
    assert first == {
        "type": "image",
        "source": {
            "type": "base64",
            "media_type": "image/jpeg",
            "data": base64.b64encode(JPEG).decode(),
        },
    }
    assert second["source"]["media_type"] == "image/png"
    assert base64.b64decode(second["source"]["data"]) == PNG
    assert text["type"] == "text"
    listing_json = text["text"].split("<listing>\n", 1)[1].split("\n</listing>", 1)[0]
    facts = json.loads(listing_json)
    assert facts == {
        "category": "car",
        "title": CLEAN_CAR.title,
        "description": CLEAN_CAR.description,
        "price": "1850000",
        "currency": "KGS",
        "price_kgs": "1850000",
        "city": "Бишкек",
        "region": "",
        "details": CLEAN_CAR.details,
        "seller": {
            "account_age_days": 3,
            "active_listings": 1,
            "rejected_listings": 0,
            "listings_last_24h": 1,
        },
        "similar_listings_median_price_kgs": "2000000",
        "price_to_similar_median_ratio": 0.93,
        "duplicate_listings": 1,
        "photos_attached": 2,
    }


def test_at_most_four_photos_of_the_types_the_api_takes_are_sent(api: FakeAnthropicAPI) -> None:
    api.play("message_tool_use_approve")
    images = (
        Image("image/heic", HEIC),  # the API refuses HEIC: left out, not a failed request
        Image("image/jpeg", b""),
        Image("image/jpeg", JPEG + bytes(ai.MAX_IMAGE_BYTES)),  # over the API's limit
        Image("image/jpeg", PNG),  # labelled by convention: sent as what the bytes are
        Image("image/jpeg", WEBP),
        *(Image("image/jpeg", JPEG + bytes([n])) for n in range(3)),
    )

    ai.precheck(clean_snapshot(images=images))

    content = api.bodies[0]["messages"][0]["content"]
    sent = [block["source"] for block in content if block["type"] == "image"]
    assert [(source["media_type"], base64.b64decode(source["data"])) for source in sent] == [
        ("image/png", PNG),
        ("image/webp", WEBP),
        ("image/jpeg", JPEG + bytes([0])),
        ("image/jpeg", JPEG + bytes([1])),
    ]
    assert '"photos_attached": 4' in content[-1]["text"]


def test_settings_are_read_at_call_time(api: FakeAnthropicAPI, settings: Any) -> None:
    api.play("message_tool_use_approve")
    settings.MODERATION_AI_MODEL = "claude-sonnet-5"
    settings.MODERATION_AI_TIMEOUT_SECONDS = 7

    ai.precheck(CLEAN_CAR)

    assert api.bodies[0]["model"] == "claude-sonnet-5"
    assert float(api.requests[0].headers["x-stainless-read-timeout"]) == 7


# --- Answers that are no verdict --------------------------------------------------------------


@pytest.mark.parametrize(
    ("recorded", "why"),
    [
        ("message_text_only", "no verdict in the answer"),
        ("message_refusal", "the model refused to answer"),
        ("message_tool_use_malformed", "malformed verdict: risk_score is not an integer 0-100"),
        ("message_max_tokens", "the answer was cut off"),
    ],
)
def test_an_answer_without_a_usable_verdict_needs_review(
    api: FakeAnthropicAPI, recorded: str, why: str
) -> None:
    api.play(recorded)

    assert ai.precheck(CLEAN_CAR) == unavailable(why)
    assert len(api.requests) == 1  # a 200 is not retried


VALID = {"verdict": "approve", "risk_score": 10, "reasons": [], "reason_codes": []}


@pytest.mark.parametrize(
    "changes",
    [
        {"verdict": "maybe"},
        {"verdict": None},
        {"risk_score": 101},
        {"risk_score": -1},
        {"risk_score": 42.0},
        {"risk_score": "42"},
        {"risk_score": True},
        {"reasons": "Looks fine"},
        {"reasons": ["one", "two", "three", "four", "five", "six"]},
        {"reasons": ["fine", 3]},
        {"reasons": ["  "]},
        {"reason_codes": ["scam"]},
        {"reason_codes": "duplicate"},
        {"reason_codes": None},
    ],
)
def test_a_tool_input_off_the_schema_is_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(ai._Unusable):
        ai._parse_tool_input({**VALID, **changes})


@pytest.mark.parametrize("missing", list(VALID))
def test_a_tool_input_missing_a_field_is_refused(missing: str) -> None:
    data = {key: value for key, value in VALID.items() if key != missing}

    with pytest.raises(ai._Unusable):
        ai._parse_tool_input(data)


def test_a_valid_tool_input_is_tidied() -> None:
    verdict = ai._parse_tool_input(
        {
            "verdict": "reject",
            "risk_score": 0,
            "reasons": ["  Sells a pistol  ", "x" * 500],
            "reason_codes": ["prohibited_item", "prohibited_item"],
            "confidence": "high",  # unknown keys are ignored
        }
    )

    assert verdict == ai.Verdict(
        "reject", 0, ["Sells a pistol", "x" * 300], ["prohibited_item"], "anthropic"
    )


# --- Errors, retries, timeouts ----------------------------------------------------------------


def test_a_rate_limit_is_retried_after_the_time_the_api_asks(
    api: FakeAnthropicAPI, sdk_time: RecordingTime
) -> None:
    api.play("error_429_rate_limit", "message_tool_use_approve")

    verdict = ai.precheck(CLEAN_CAR)

    assert verdict == ai.Verdict("approve", 8, [], [], "anthropic")
    assert len(api.requests) == 2
    assert sdk_time.sleeps == [7.0]  # the recorded retry-after
    assert [r.headers["x-stainless-retry-count"] for r in api.requests] == ["0", "1"]
    assert api.bodies[0] == api.bodies[1]


@pytest.mark.parametrize("recorded", ["error_500_api_error", "error_529_overloaded"])
def test_a_server_error_is_retried(
    api: FakeAnthropicAPI, sdk_time: RecordingTime, recorded: str
) -> None:
    api.play(recorded, "message_tool_use_review")

    verdict = ai.precheck(CLEAN_CAR)

    assert verdict.verdict == "needs_review"
    assert verdict.risk_score == 64
    assert len(api.requests) == 2
    assert len(sdk_time.sleeps) == 1  # the SDK's own backoff


@pytest.mark.parametrize(
    ("recorded", "why"),
    [
        ("error_429_rate_limit", "rate limited"),
        ("error_500_api_error", "server error (HTTP 500)"),
        ("error_529_overloaded", "server error (HTTP 529)"),
    ],
)
def test_when_retries_run_out_the_listing_needs_review(
    api: FakeAnthropicAPI, sdk_time: RecordingTime, settings: Any, recorded: str, why: str
) -> None:
    settings.MODERATION_AI_MAX_RETRIES = 2
    api.play(recorded, recorded, recorded)

    assert ai.precheck(CLEAN_CAR) == unavailable(why)
    assert len(api.requests) == 3
    assert len(sdk_time.sleeps) == 2


def test_the_default_is_three_retries(api: FakeAnthropicAPI, sdk_time: RecordingTime) -> None:
    api.play(*["error_529_overloaded"] * 4)

    assert ai.precheck(CLEAN_CAR) == unavailable("server error (HTTP 529)")
    assert len(api.requests) == 4


def test_a_timeout_needs_review(
    api: FakeAnthropicAPI, sdk_time: RecordingTime, settings: Any
) -> None:
    settings.MODERATION_AI_MAX_RETRIES = 1
    api.play(httpx2.ReadTimeout("timed out"), httpx2.ReadTimeout("timed out"))

    assert ai.precheck(CLEAN_CAR) == unavailable("the request timed out")
    assert len(api.requests) == 2  # a timeout is retried too


def test_a_timeout_then_an_answer_is_the_answer(
    api: FakeAnthropicAPI, sdk_time: RecordingTime
) -> None:
    api.play(httpx2.ReadTimeout("timed out"), "message_tool_use_approve")

    assert ai.precheck(CLEAN_CAR).verdict == "approve"


def test_a_connection_error_needs_review(
    api: FakeAnthropicAPI, sdk_time: RecordingTime, settings: Any
) -> None:
    settings.MODERATION_AI_MAX_RETRIES = 0
    api.play(httpx2.ConnectError("connection refused"))

    assert ai.precheck(CLEAN_CAR) == unavailable("could not connect")


def test_a_refused_key_needs_review_without_retrying(
    api: FakeAnthropicAPI, sdk_time: RecordingTime
) -> None:
    api.play("error_401_authentication")

    assert ai.precheck(CLEAN_CAR) == unavailable("the API key was refused")
    assert len(api.requests) == 1
    assert sdk_time.sleeps == []


def test_an_unexpected_error_still_gives_a_verdict(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.ANTHROPIC_API_KEY = KEY

    def broken() -> anthropic.Anthropic:
        raise RuntimeError("boom")

    monkeypatch.setattr(ai, "_client", broken)

    assert ai.precheck(CLEAN_CAR) == unavailable("unexpected error")


def test_a_failure_is_logged_without_the_listing(
    api: FakeAnthropicAPI, sdk_time: RecordingTime, caplog: pytest.LogCaptureFixture
) -> None:
    api.play("message_tool_use_malformed")
    snapshot = clean_snapshot(title="Camry секретное-слово", description="Описание-маркер")

    with caplog.at_level(logging.WARNING, logger="moderation.ai"):
        ai.precheck(snapshot)

    [record] = [r for r in caplog.records if r.name == "moderation.ai"]
    assert record.levelno == logging.WARNING
    assert record.getMessage() == (
        "AI pre-check unavailable: malformed verdict: risk_score is not an integer 0-100"
    )
    logged = json.dumps(record.__dict__, default=str)
    for secret in ("секретное-слово", "Описание-маркер", "Looks fine"):
        assert secret not in logged


def test_an_api_error_is_logged_with_its_status_and_request_id(
    api: FakeAnthropicAPI, sdk_time: RecordingTime, caplog: pytest.LogCaptureFixture
) -> None:
    api.play("error_401_authentication")

    with caplog.at_level(logging.WARNING, logger="moderation.ai"):
        ai.precheck(CLEAN_CAR)

    [record] = [r for r in caplog.records if r.name == "moderation.ai"]
    assert record.__dict__["error"] == "AuthenticationError"
    assert record.__dict__["status_code"] == 401
    assert record.__dict__["api_request_id"] == "req_011CVmodAuthError000000001"


# --- Rules and AI together --------------------------------------------------------------------

PISTOL = clean_snapshot(description="Продам пистолет, документы есть")


def test_the_ai_cannot_approve_what_the_rules_reject(api: FakeAnthropicAPI) -> None:
    api.play("message_tool_use_approve")

    verdict = ai.precheck(PISTOL)

    assert verdict.verdict == "reject"
    assert verdict.risk_score == 80
    assert verdict.reason_codes == ["prohibited_item"]
    assert verdict.reasons == ['Prohibited item (weapons: "пистолет")']
    assert verdict.source == "anthropic"


def test_a_rules_reject_keeps_the_stricter_of_everything(api: FakeAnthropicAPI) -> None:
    api.play("message_tool_use_review")

    verdict = ai.precheck(PISTOL)

    assert verdict == ai.Verdict(
        "reject",
        80,
        [
            'Prohibited item (weapons: "пистолет")',
            "The seller demands prepayment before a viewing",
            "The price is far below similar cars",
        ],
        ["prohibited_item", "fraud_suspected", "wrong_price"],
        "anthropic",
    )


def test_a_rules_reject_stands_when_the_ai_is_unavailable(
    api: FakeAnthropicAPI, sdk_time: RecordingTime
) -> None:
    api.play("error_401_authentication")

    verdict = ai.precheck(PISTOL)

    assert verdict.verdict == "reject"
    assert verdict.risk_score == 80
    assert verdict.reason_codes == ["prohibited_item"]
    assert "AI pre-check unavailable: the API key was refused" in verdict.reasons


def test_below_a_reject_the_ai_judges_what_the_rules_flag(api: FakeAnthropicAPI) -> None:
    api.play("message_tool_use_approve")

    verdict = ai.precheck(clean_snapshot(duplicate_listings=1))

    assert verdict == ai.Verdict("approve", 8, [], [], "anthropic")
