"""The one seam every outgoing HTTP call goes through: one User-Agent, one way to route a
system's traffic through another transport.

Each outgoing system is a *role*. ``http_client(role, ...)`` builds the ``httpx.Client`` for
it; ``transports_install(**by_role)`` routes the clients built inside the block through the
given transports (the tests' twins and the network-off guard, the in-process demo), so the
client's own code still runs in full and only the wire is replaced. No Django here.
"""

from contextlib import contextmanager

import httpx

USER_AGENT = "centra-ip/0.1"
ROLES = ("centra", "inventory_planner", "wms_webhook", "team_webhook")

_transports: dict[str, httpx.BaseTransport] = {}


@contextmanager
def transports_install(**by_role: httpx.BaseTransport | None):
    """Route the clients of these roles, built inside the block, through these transports."""
    unknown = sorted(set(by_role) - set(ROLES))
    if unknown:
        raise ValueError(f"unknown HTTP roles {unknown}: the roles are {', '.join(ROLES)}")
    previous = dict(_transports)
    _transports.update({role: t for role, t in by_role.items() if t is not None})
    try:
        yield
    finally:
        _transports.clear()
        _transports.update(previous)


def http_client(
    role: str,
    *,
    timeout: httpx.Timeout | float,
    headers: dict | None = None,
    transport: httpx.BaseTransport | None = None,
    **options,
) -> httpx.Client:
    """The ``httpx.Client`` for one role: explicit timeouts, our User-Agent, and the
    transport given (a test that builds a client itself), else the one installed for the
    role, else the network."""
    if role not in ROLES:
        raise ValueError(f"unknown HTTP role {role!r}: the roles are {', '.join(ROLES)}")
    return httpx.Client(
        transport=transport or _transports.get(role),
        timeout=timeout,
        headers={"User-Agent": USER_AGENT, **(headers or {})},
        **options,
    )
