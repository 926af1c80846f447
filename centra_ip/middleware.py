"""Request-wide guards: a cap on the request body, and no caching of signed-in pages."""

from django.conf import settings
from django.http import HttpResponse
from django.utils.cache import patch_cache_control


class RequestBodyLimitMiddleware:
    """Refuse a body larger than ``REQUEST_BODY_MAX_BYTES`` with 413, before anything reads
    it: the CSRF check parses every POST, and multipart file parts stream to disk, so without
    this an anonymous client could write any amount to a temp folder. Sits first, after
    SecurityMiddleware; the reverse proxy should cap bodies too (docs/operations.md)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return HttpResponse("Bad Content-Length.", status=400, content_type="text/plain")
        limit = settings.REQUEST_BODY_MAX_BYTES
        if length > limit:
            return HttpResponse(
                f"The request is too large: at most {limit / 1_000_000:.1f} MB is accepted.",
                status=413,
                content_type="text/plain",
            )
        return self.get_response(request)


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
