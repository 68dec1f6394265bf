import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _is_trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in settings.TRUSTED_PROXIES)


def client_ip(request: HttpRequest) -> str:
    """The caller's address: `X-Forwarded-For` is believed only hop by hop through TRUSTED_PROXIES.

    Walking the header from the right and stopping at the first untrusted hop means a client
    cannot choose its own address by sending a made-up header.
    """
    address = request.META.get("REMOTE_ADDR", "") or ""
    if not _is_trusted(address):
        return address
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for hop in reversed([part.strip() for part in forwarded.split(",") if part.strip()]):
        address = hop
        if not _is_trusted(hop):
            break
    return address


def is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


# Headers a proxy or tunnel adds for the caller it forwards.
FORWARDING_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")


def is_local_caller(request: HttpRequest) -> bool:
    """A person at this machine: a loopback caller with nothing forwarded. A proxy or tunnel
    on this machine (nginx, ngrok, ssh -R) also connects from loopback, for callers anywhere;
    the headers it adds tell it apart (one that adds none is not told apart)."""
    forwarded = any(request.META.get(header) for header in FORWARDING_HEADERS)
    return not forwarded and is_loopback(client_ip(request))
