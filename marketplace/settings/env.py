"""The one typed reader of environment variables.

Every setting comes through here so a bad value stops the process at start-up with the
variable's name, instead of surfacing later as a confusing runtime error.
"""

import ipaddress
import os
from collections.abc import Callable
from typing import TypeVar

from django.core.exceptions import ImproperlyConfigured

T = TypeVar("T")

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
_MISSING = object()


def _read(name: str, default: object, parse: Callable[[str], T]) -> T:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        if default is _MISSING:
            raise ImproperlyConfigured(f"The environment variable {name} is required.")
        return default  # type: ignore[return-value]
    try:
        return parse(raw.strip())
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            f"The environment variable {name}={raw!r} is invalid: {exc}"
        ) from exc


def env_str(name: str, default: object = _MISSING) -> str:
    return _read(name, default, str)


def env_optional_str(name: str) -> str | None:
    return _read(name, None, str)


def parse_bool(raw: str) -> bool:
    value = raw.lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError("expected one of 1/0, true/false, yes/no, on/off")


def env_bool(name: str, default: object = _MISSING) -> bool:
    return _read(name, default, parse_bool)


def env_int(name: str, default: object = _MISSING, *, minimum: int | None = None) -> int:
    def parse(raw: str) -> int:
        value = int(raw)
        if minimum is not None and value < minimum:
            raise ValueError(f"must be at least {minimum}")
        return value

    return _read(name, default, parse)


def env_list(name: str, default: object = _MISSING) -> list[str]:
    return _read(
        name, default, lambda raw: [part.strip() for part in raw.split(",") if part.strip()]
    )


def env_choice(name: str, choices: tuple[str, ...], default: object = _MISSING) -> str:
    def parse(raw: str) -> str:
        if raw not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}")
        return raw

    return _read(name, default, parse)


def env_networks(
    name: str, default: object = _MISSING
) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """A comma-separated list of IP addresses or CIDR networks."""
    return _read(
        name,
        default,
        lambda raw: [
            ipaddress.ip_network(part.strip(), strict=False)
            for part in raw.split(",")
            if part.strip()
        ],
    )


def env_debug() -> bool:
    """DEBUG, as every settings module reads it: off unless the environment turns it on."""
    return env_bool("DEBUG", False)
