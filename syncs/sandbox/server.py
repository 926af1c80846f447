"""Serve the twins over HTTP for the demo: a WSGI app that hands each request to a twin.

The twins speak ``httpx.Request -> httpx.Response``; this adapter turns a WSGI request
into an ``httpx.Request`` with the same method, path, query, headers and body, so a
client pointed at ``http://127.0.0.1:8001/centra/graphql`` sees exactly what it would
see in-process. A twin that raises ``httpx.TimeoutException`` (an injected timeout)
makes the server hold the connection for ``hang_seconds`` and then drop it, which the
client experiences as a read timeout.
"""

import logging
import time
from collections.abc import Callable
from http import HTTPStatus
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import httpx

Handler = Callable[[httpx.Request], httpx.Response]
logger = logging.getLogger(__name__)


def _request_from_environ(environ) -> httpx.Request:
    scheme = environ.get("wsgi.url_scheme", "http")
    host = environ.get("HTTP_HOST") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
    query = environ.get("QUERY_STRING", "")
    url = f"{scheme}://{host}{environ.get('PATH_INFO', '/')}" + (f"?{query}" if query else "")
    headers = {
        key[5:].replace("_", "-").title(): value
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    if environ.get("CONTENT_TYPE"):
        headers["Content-Type"] = environ["CONTENT_TYPE"]
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    return httpx.Request(environ["REQUEST_METHOD"], url, headers=headers, content=body)


def _route(routes: dict[str, Handler], path: str) -> Handler | None:
    for prefix, handler in routes.items():
        if path == prefix or path.startswith(prefix + "/"):
            return handler
    return None


def wsgi_app(routes: dict[str, Handler], *, hang_seconds: float = 65.0):
    """A WSGI app dispatching by path prefix (``{"/centra": twin.handle, ...}``)."""

    def app(environ, start_response):
        path = environ.get("PATH_INFO", "/")
        handler = _route(routes, path)
        if handler is None:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"no twin at this path"]
        request = _request_from_environ(environ)
        try:
            response = handler(request)
        except httpx.TimeoutException:
            time.sleep(hang_seconds)
            start_response("504 Gateway Timeout", [("Content-Type", "text/plain")])
            return [b"sandbox: injected timeout"]
        body = response.read()
        status = f"{response.status_code} {HTTPStatus(response.status_code).phrase}"
        skip = {"content-length", "transfer-encoding", "connection", "content-encoding"}
        headers = [(k, v) for k, v in response.headers.items() if k.lower() not in skip]
        headers.append(("Content-Length", str(len(body))))
        start_response(status, headers)
        return [body]

    return app


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        logger.debug("sandbox %s", format % args)


def make_sandbox_server(routes: dict[str, Handler], *, host: str, port: int) -> WSGIServer:
    """A threaded HTTP server for the routes; port 0 picks a free port (tests)."""
    return make_server(host, port, wsgi_app(routes), _ThreadingServer, _QuietHandler)
