"""Request-wide guards: a cap on the request body, and no caching of signed-in pages."""

from django.conf import settings
from django.http import HttpResponse
from django.utils.cache import patch_cache_control


def _refusal(text: str, status: int) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")


class RequestLimitsMiddleware:
    """Refuse, before anything reads them, a body larger than ``REQUEST_BODY_MAX_BYTES``
    (413), a URL parameter longer than ``QUERY_VALUE_MAX_CHARS`` and a NUL character in the
    path or a parameter (400).

    The CSRF check parses every POST and multipart file parts stream to disk, so without
    the first an anonymous client could write any amount to a temp folder (the reverse proxy
    should cap bodies too, docs/operations.md). The second keeps a pasted page of text out of
    the search filters, where SQLite refuses an over-long LIKE pattern and PostgreSQL scans.
    It also gives a 405 (wrong method) a sentence: Django's is empty."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _refusal("Bad Content-Length.", 400)
        limit = settings.REQUEST_BODY_MAX_BYTES
        if length > limit:
            return _refusal(
                f"The request is too large: at most {limit / 1_000_000:.1f} MB is accepted.", 413
            )
        longest = settings.QUERY_VALUE_MAX_CHARS
        values = [v for _key, vs in request.GET.lists() for v in vs]
        if any(len(v) > longest for v in values):
            return _refusal(f"A search or filter value is at most {longest:,} characters.", 400)
        if "\x00" in request.path or any("\x00" in v for v in values):
            # PostgreSQL refuses NUL in text: it would be a 500 at the first query.
            return _refusal("An address or parameter cannot contain a NUL character.", 400)
        response = self.get_response(request)
        if response.status_code == 405 and not response.content:
            allowed = response.get("Allow", "")
            response.content = f"This address does not accept {request.method}; use {allowed}."
            response["Content-Type"] = "text/plain; charset=utf-8"
        return response


class PrivateNoStoreMiddleware:
    """``Cache-Control: private, no-store`` on every answer to a signed-in user (pages, CSV
    and JSON exports): a shared proxy or the browser's disk cache keeps no copy of tickets,
    stock or finance figures. An answer that already says how to cache is left alone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_store=True)
        return response


class ContentSecurityPolicyMiddleware:
    """Send ``CONTENT_SECURITY_POLICY`` (settings) on every answer that has none: scripts,
    styles, images and fetches from this origin only, nothing inline, no plugins, no
    framing. Templates keep their JS and CSS in static files (docs/operations.md)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.CONTENT_SECURITY_POLICY and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = settings.CONTENT_SECURITY_POLICY
        return response
