"""The typed client for the mobile team (`make client`): no request or response body may be
typed `any` or `unknown` in it, and the committed copy is the schema the code generates.

openapi-typescript types a schema `unknown` when it says nothing about its shape (no type,
$ref, oneOf/anyOf/allOf or enum) and gives an object `[key: string]: unknown` when it allows
untyped additional properties; those are what this walk looks for, on the schema that
drf-spectacular generates in-process, so the check needs no node.
"""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation
from drf_spectacular.generators import SchemaGenerator

CLIENT_DIR = Path(__file__).resolve().parent.parent / "clients" / "typescript"
SHAPE_KEYS = ("type", "$ref", "oneOf", "anyOf", "allOf", "enum", "const")
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    # Round-tripped through JSON, as the schema endpoint and `make client` write it; in English,
    # as `make client` writes it (a request earlier in this process may have left another
    # language active, which would translate the choices' labels).
    with translation.override("en"):
        return json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True)))


def bodies(schema: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, schema) of every request and response body of every operation."""
    for path, item in schema["paths"].items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            where = f"{method.upper()} {path}"
            for media, content in operation.get("requestBody", {}).get("content", {}).items():
                yield f"{where} request ({media})", content.get("schema", {})
            for status, response in operation.get("responses", {}).items():
                for media, content in response.get("content", {}).items():
                    yield f"{where} {status} ({media})", content.get("schema", {})


def untyped(
    schema: dict[str, Any], node: Any, where: str, seen: set[str] | None = None
) -> Iterator[str]:
    """Where, under `node`, the generated TypeScript would be `unknown` or `any`."""
    seen = set() if seen is None else seen
    if node is True or node == {}:
        yield where
        return
    if not isinstance(node, dict):
        return
    if "$ref" in node:
        ref = node["$ref"]
        if ref in seen:
            return
        seen.add(ref)
        target = schema
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]
        yield from untyped(schema, target, ref.rsplit("/", 1)[-1], seen)
        return
    if not any(key in node for key in SHAPE_KEYS):
        yield where
    for name, child in node.get("properties", {}).items():
        yield from untyped(schema, child, f"{where}.{name}", seen)
    if "items" in node:
        yield from untyped(schema, node["items"], f"{where}[]", seen)
    if "additionalProperties" in node and node["additionalProperties"] is not False:
        yield from untyped(schema, node["additionalProperties"], f"{where}{{*}}", seen)
    for key in ("oneOf", "anyOf", "allOf"):
        for index, child in enumerate(node.get(key, [])):
            yield from untyped(schema, child, f"{where}.{key}[{index}]", seen)


def test_no_body_is_typed_any_or_unknown(schema: dict[str, Any]) -> None:
    found = sorted(
        {place for where, body in bodies(schema) for place in untyped(schema, body, where)}
    )

    assert found == [], "untyped in the client: " + ", ".join(found)


@pytest.mark.parametrize(
    ("node", "expected"),
    [
        ({"type": "object", "properties": {"a": {"type": "string"}}}, []),
        ({"type": "object", "properties": {"a": {}}}, ["X.a"]),
        ({"type": "object", "properties": {"a": {"description": "untyped"}}}, ["X.a"]),
        ({"type": "object", "additionalProperties": True}, ["X{*}"]),
        ({"type": "object", "additionalProperties": {}}, ["X{*}"]),
        ({"type": "object", "additionalProperties": {"type": "integer"}}, []),
        ({"type": "array", "items": {}}, ["X[]"]),
        ({"oneOf": [{"type": "string"}, {}]}, ["X.oneOf[1]"]),
        ({"enum": ["", None]}, []),
        ({"$ref": "#/components/schemas/Loose"}, ["Loose.data"]),
    ],
)
def test_the_walk_finds_what_would_be_unknown(node: dict[str, Any], expected: list[str]) -> None:
    schema = {"components": {"schemas": {"Loose": {"type": "object", "properties": {"data": {}}}}}}

    assert list(untyped(schema, node, "X")) == expected


def test_the_committed_client_is_generated_from_the_current_schema(
    schema: dict[str, Any],
) -> None:
    # schema.d.ts is made from openapi.json by the version pinned in package-lock.json; both
    # are committed, so an API change without `make client` shows here.
    committed = json.loads((CLIENT_DIR / "openapi.json").read_text())
    types = (CLIENT_DIR / "schema.d.ts").read_text()

    assert committed == schema, "the API changed: run `make client` and commit clients/typescript"
    for path in schema["paths"]:
        assert f'"{path}": {{' in types, f"schema.d.ts lacks {path}: run `make client`"
    for name in schema["components"]["schemas"]:
        assert f"\n        {name}: " in types, f"schema.d.ts lacks {name}: run `make client`"
