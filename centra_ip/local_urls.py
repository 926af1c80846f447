"""Where a development install serves the app and the sandbox twins, derived in one place.

``make run PORT=8100 SANDBOX_PORT=8101`` must move everything together: the app's own
address, the twins' address the connectors call (``SANDBOX_URL``), and the feed the IP
twin fetches from the app. Settings build these from ``PORT`` and ``SANDBOX_PORT``; the
supervisor (``manage.py devstack``) passes both to every child, so each process derives
the same addresses. Local processes talk over the loopback whatever ``--host`` the web
server binds.
"""

from dataclasses import dataclass

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class LocalUrls:
    port: int
    sandbox_port: int

    @property
    def app(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def sandbox(self) -> str:
        return f"http://{LOOPBACK}:{self.sandbox_port}"

    def on_app(self, path: str) -> str:
        """An absolute URL on the local app (``/feeds/...`` -> ``http://127.0.0.1:8000/feeds/...``)."""
        return f"{self.app}{path}"
