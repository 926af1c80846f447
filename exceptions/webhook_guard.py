"""Where a team webhook may point: a public http(s) address, never the hub's own network.

The hub POSTs to the URL an admin typed, so without a guard that field reaches the cloud
metadata service (169.254.169.254), the database port on loopback or any host inside the
network (server-side request forgery). The URL is checked when the route is saved and again
before every send (DNS can change between the two): the host is resolved and *every* address
it resolves to must be public. ``WEBHOOK_ALLOW_PRIVATE_ADDRESSES`` (an operator setting) lifts
the address rule for a hook that really lives inside the network; the scheme rule stays.
"""

import ipaddress
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings

SCHEMES = ("https", "http")


def _system_resolve(host: str) -> list[str]:
    return [info[4][0] for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)]


# Tests install a resolver here (``webhook_resolver_set``) instead of touching the network.
_resolve: Callable[[str], list[str]] = _system_resolve


def webhook_resolver_set(resolve: Callable[[str], list[str]] | None) -> None:
    global _resolve
    _resolve = resolve or _system_resolve


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def webhook_url_problem(url: str) -> str | None:
    """Why this URL may not be used as a webhook, or None when it may."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return "The webhook URL cannot be parsed."
    if parts.scheme not in SCHEMES or not host:
        return "The webhook URL must start with https:// (or http://) and name a host."
    if settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES:
        return None
    try:
        addresses = [host] if _is_literal(host) else _resolve(host)
    except (OSError, UnicodeError):
        return f"The webhook host {host} cannot be resolved."
    if not addresses or not all(_public(address) for address in addresses):
        return (
            f"The webhook host {host} is a loopback, link-local or private address; only "
            "public addresses are allowed (WEBHOOK_ALLOW_PRIVATE_ADDRESSES lifts this)."
        )
    return None


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
