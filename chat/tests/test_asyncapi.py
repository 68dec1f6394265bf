"""`docs/asyncapi.yaml` held to the chat socket in both directions.

Code → document: the real consumer (the ASGI application, PostgreSQL, Redis) is driven through
every event it sends; each frame must match the document's schema for its type with no field the
document lacks, and the types, fields (present, and absent where optional), enum values and close
codes seen must be all the document names. Document → code: each client frame the document
describes is accepted as its example shows it and refused without a required field, and the
consumer's table of client frames is the document's. The document itself must hang together as
AsyncAPI 3 (every `$ref` resolves, operations use their channel's messages, examples match).
"""

import functools
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import OperationalError

from chat import consumers
from chat.routing import websocket_urlpatterns
from chat.serializers import MessageSendFrameSerializer
from marketplace.asgi import application

from .conftest import THREADS, access_token, active_listing, client_for, open_thread

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "asyncapi.yaml"
# The serializer that validates each client frame with fields of its own.
FRAME_SERIALIZERS = {"message.send": MessageSendFrameSerializer}

db = database_sync_to_async

# Our own checks of the two formats the document uses: jsonschema's date-time check silently
# passes when an optional package is missing.
FORMATS = jsonschema.FormatChecker(formats=())


@FORMATS.checks("uuid", raises=ValueError)
def _is_uuid(value: object) -> bool:
    return not isinstance(value, str) or str(uuid.UUID(value)) == value


@FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    return "T" in value and datetime.fromisoformat(value).tzinfo is not None


# --- Reading the document ---------------------------------------------------------------------


@functools.cache
def document() -> dict[str, Any]:
    with DOCUMENT.open(encoding="utf-8") as file:
        loaded = yaml.safe_load(file)
    assert isinstance(loaded, dict)
    return loaded


def resolve(ref: str) -> Any:
    """What a local `$ref` (`#/a/b`) points to; KeyError if nothing."""
    assert ref.startswith("#/"), f"only local references are used: {ref}"
    node: Any = document()
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def references(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if "$ref" in node:
            yield node["$ref"]
        for value in node.values():
            yield from references(value)
    elif isinstance(node, list):
        for value in node:
            yield from references(value)


def inlined(node: Any) -> Any:
    """`node` with every `$ref` replaced by a copy of what it points to."""
    if isinstance(node, dict):
        if "$ref" in node:
            return inlined(resolve(node["$ref"]))
        return {key: inlined(value) for key, value in node.items()}
    if isinstance(node, list):
        return [inlined(value) for value in node]
    return node


def message_of(ref: str) -> dict[str, Any]:
    """A Message Object, through the channel's `$ref` to the components."""
    message = resolve(ref)
    return resolve(message["$ref"]) if "$ref" in message else message


def payloads(action: str) -> dict[str, dict[str, Any]]:
    """The payload schema of each frame type the server `receive`s or `send`s, by type."""
    found: dict[str, dict[str, Any]] = {}
    for operation in document()["operations"].values():
        if operation["action"] != action:
            continue
        for ref in operation["messages"]:
            schema = inlined(message_of(ref["$ref"])["payload"])
            kind = schema["properties"]["type"]["const"]
            assert kind not in found, f"{kind} is documented twice"
            found[kind] = schema
    return found


def closed(schema: Any) -> Any:
    """`schema` admitting no property it does not name: the document is open (fields may be
    added), but a field the server sends and the document lacks must fail here."""
    if isinstance(schema, dict):
        schema = {key: closed(value) for key, value in schema.items()}
        if "properties" in schema:
            schema.setdefault("additionalProperties", False)
        return schema
    if isinstance(schema, list):
        return [closed(value) for value in schema]
    return schema


def validate(schema: dict[str, Any], instance: Any) -> None:
    jsonschema.Draft7Validator(schema, format_checker=FORMATS).validate(instance)


def facts(schema: dict[str, Any], instance: Any = None, path: str = "") -> set[str]:
    """What a frame can show of `schema` (every property present; every optional one absent;
    every enum value) or, given `instance`, what this frame shows."""
    shown: set[str] = set()
    if "enum" in schema:
        values = schema["enum"] if instance is None else [instance]
        shown |= {f"{path}={value}" for value in values}
    for name, part in schema.get("properties", {}).items():
        required = name in schema.get("required", [])
        if instance is None:
            shown.add(f"{path}.{name}")
            shown |= set() if required else {f"{path}.{name} absent"}
            shown |= facts(part, None, f"{path}.{name}")
        elif name in instance:
            shown.add(f"{path}.{name}")
            shown |= facts(part, instance[name], f"{path}.{name}")
        else:
            shown.add(f"{path}.{name} absent")
    return shown


# --- The document on its own ------------------------------------------------------------------


def test_the_document_is_asyncapi_3_and_every_reference_resolves() -> None:
    doc = document()

    assert doc["asyncapi"] == "3.0.0"
    assert doc["info"]["title"]
    assert doc["info"]["version"]
    for ref in references(doc):
        resolve(ref)
    for server in doc["servers"].values():
        assert server["protocol"] in {"ws", "wss"}
        assert server["host"]
        assert server["security"]


def test_operations_use_their_channels_messages_and_every_message_is_used() -> None:
    used: set[str] = set()
    for name, operation in document()["operations"].items():
        assert operation["action"] in {"send", "receive"}, name
        channel = operation["channel"]["$ref"]
        assert channel.startswith("#/channels/"), name
        assert operation["messages"], name
        for ref in operation["messages"]:
            # AsyncAPI 3: an operation's messages are a subset of its channel's.
            assert ref["$ref"].startswith(f"{channel}/messages/"), (name, ref)
            used.add(ref["$ref"])
    for channel_name, channel in document()["channels"].items():
        for message_name in channel["messages"]:
            assert f"#/channels/{channel_name}/messages/{message_name}" in used, message_name


def test_every_message_is_named_by_its_type_and_its_examples_match_it() -> None:
    # A type is either the app's or the server's.
    assert not set(payloads("send")) & set(payloads("receive"))
    for message in document()["components"]["messages"].values():
        schema = inlined(message["payload"])
        jsonschema.Draft7Validator.check_schema(schema)
        assert message["name"] == schema["properties"]["type"]["const"]
        assert message["examples"], message["name"]
        for example in message["examples"]:
            validate(closed(schema), example["payload"])


def test_the_channel_is_the_routed_path() -> None:
    routed = {f"/{pattern.pattern}" for pattern in websocket_urlpatterns}

    assert {channel["address"] for channel in document()["channels"].values()} == routed


# --- Document → code --------------------------------------------------------------------------


def test_the_consumer_accepts_exactly_the_documented_client_frames() -> None:
    assert set(consumers.CLIENT_FRAMES) == set(payloads("receive"))


def test_the_documented_client_fields_are_the_serializers() -> None:
    for kind, schema in payloads("receive").items():
        fields = FRAME_SERIALIZERS[kind]().fields if kind in FRAME_SERIALIZERS else {}
        required = {name for name, field in fields.items() if field.required}

        assert set(schema["properties"]) == {"type", *fields}, kind
        assert set(schema["required"]) == {"type", *required}, kind
        for name, field in fields.items():
            assert schema["properties"][name].get("maxLength") == getattr(field, "max_length", None)


class Recorder:
    """Reads the frames the server sends, checks each against the document as it arrives,
    and keeps what each type's frames showed."""

    def __init__(self) -> None:
        self.schemas = payloads("send")
        self.shown: dict[str, set[str]] = {kind: set() for kind in self.schemas}

    async def next(self, socket: WebsocketCommunicator, kind: str | None = None) -> Any:
        event = await socket.receive_json_from(timeout=2)
        assert isinstance(event, dict), event
        schema = self.schemas.get(str(event.get("type")))
        assert schema is not None, f"an event type the document lacks: {event}"
        validate(closed(schema), event)
        self.shown[event["type"]] |= {"sent", *facts(schema, event)}
        assert kind is None or event["type"] == kind, event
        return event


async def connect(user: Any) -> WebsocketCommunicator:
    """A socket of `user`, its token as the subprotocol pair the document prefers."""
    token = await db(access_token)(user)
    socket = WebsocketCommunicator(application, "/ws/chat/", subprotocols=["bearer", token])
    connected, subprotocol = await socket.connect()
    assert connected
    assert subprotocol == "bearer"
    return socket


def send_frame(thread_id: str, body: str, client_id: str) -> dict[str, Any]:
    return {"type": "message.send", "thread_id": thread_id, "body": body, "client_id": client_id}


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_each_documented_client_frame_is_accepted_and_refused_without_a_required_field(
    buyer: Any, thread: Any
) -> None:
    recorder = Recorder()
    socket = await connect(buyer)
    answers = {"message.send": "message.new", "ping": "pong"}

    for message in document()["components"]["messages"].values():
        schema = inlined(message["payload"])
        kind = schema["properties"]["type"]["const"]
        if kind not in payloads("receive"):
            continue
        for example in message["examples"]:
            frame = dict(example["payload"])
            if "thread_id" in frame:  # a thread of this test's
                frame["thread_id"] = str(thread.pk)
            await socket.send_json_to(frame)
            assert (await recorder.next(socket))["type"] == answers[kind], frame
            for name in set(schema["required"]) - {"type"}:
                await socket.send_json_to({k: v for k, v in frame.items() if k != name})
                error = await recorder.next(socket, "error")
                assert error["code"] == "invalid"
                assert name in error["fields"], (kind, name)
    await socket.send_json_to({"type": "not.documented"})

    assert (await recorder.next(socket, "error"))["code"] == "invalid"
    assert await socket.receive_nothing(timeout=0.3)
    await socket.disconnect()


# --- Code → document --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_every_event_the_socket_sends_is_documented_and_every_documented_one_is_sent(
    buyer: Any, author: Any, stranger: Any, thread: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = Recorder()
    buyer_socket, seller_socket = await connect(buyer), await connect(author)
    stranger_socket = await connect(stranger)
    thread_id = str(thread.pk)

    async def both(kind: str) -> None:
        await recorder.next(buyer_socket, kind)
        await recorder.next(seller_socket, kind)

    async def refused(frame: Any, code: str, socket: WebsocketCommunicator = buyer_socket) -> Any:
        if isinstance(frame, str):
            await socket.send_to(text_data=frame)
        else:
            await socket.send_json_to(frame)
        error = await recorder.next(socket, "error")
        assert error["code"] == code, error
        return error

    def fails(exc: Exception) -> Any:
        def message_send(**kwargs: Any) -> Any:
            raise exc

        return message_send

    # pong; message.new to both sides, a repeat to the sender alone; message.read; thread.new
    await buyer_socket.send_json_to({"type": "ping"})
    await recorder.next(buyer_socket, "pong")
    await buyer_socket.send_json_to(send_frame(thread_id, "Здравствуйте!", "c-1"))
    await both("message.new")
    await buyer_socket.send_json_to(send_frame(thread_id, "Здравствуйте!", "c-1"))
    await recorder.next(buyer_socket, "message.new")
    read = client_for(author).post
    assert (await db(read)(f"{THREADS}{thread_id}/read/", {"up_to_seq": 1})).status_code == 204
    await both("message.read")
    await db(open_thread)(buyer, await db(active_listing)(author))
    await recorder.next(seller_socket, "thread.new")

    # Every error code, with the frame's ids and fields and without them.
    await refused("not json", "invalid")
    await refused({"type": "shout"}, "invalid")
    # A thread_id that is not a UUID is echoed as it came.
    assert (await refused(send_frame("nope", "", "c-2"), "invalid"))["thread_id"] == "nope"
    await refused(send_frame(thread_id, "let me in", "x-1"), "not_found", stranger_socket)
    block = f"{THREADS}{thread_id}/block/"
    await db(client_for(author).post)(block)
    await refused(send_frame(thread_id, "Why?", "c-3"), "blocked")
    await db(client_for(author).delete)(block)
    await seller_socket.disconnect()  # the sends below would reach it too
    with monkeypatch.context() as patch:
        patch.setattr(consumers, "message_send", fails(OperationalError("connection refused")))
        await refused(send_frame(thread_id, "later", "c-4"), "service_unavailable")
        patch.setattr(consumers, "message_send", fails(RuntimeError("a bug")))
        await refused(send_frame(thread_id, "oops", "c-5"), "server_error")
    for index in range(25):  # 20 messages in 10 seconds, then throttled
        await buyer_socket.send_json_to(send_frame(thread_id, f"#{index}", f"t-{index}"))
        if (await recorder.next(buyer_socket))["type"] == "error":
            break
    assert ".code=throttled" in recorder.shown["error"]

    for socket in (buyer_socket, stranger_socket):
        assert await socket.receive_nothing(timeout=0.3)  # no frame went unchecked
        await socket.disconnect()
    for kind, schema in recorder.schemas.items():
        never = {"sent", *facts(schema)} - recorder.shown[kind]
        assert not never, f"{kind}: documented, never sent: {sorted(never)}"


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_the_socket_closes_with_exactly_the_documented_codes(
    buyer: Any, settings: Any
) -> None:
    async def close_code(query: str) -> int:
        socket = WebsocketCommunicator(application, f"/ws/chat/?{query}")
        connected, _ = await socket.connect()
        assert connected
        output = await socket.receive_output(timeout=2)
        assert output["type"] == "websocket.close", output
        await socket.disconnect()
        return int(output["code"])

    codes = {await close_code("token=not-a-jwt")}
    token = await db(access_token)(buyer)
    settings.CHANNEL_LAYERS = {  # Redis unreachable: nothing listens on port 1
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},
        }
    }
    codes.add(await close_code(f"token={token}"))
    documented = {close["code"] for close in document()["channels"]["chat"]["x-close-codes"]}

    assert codes == documented
