"""The files Inventory Planner fetches: outside the login, behind HTTP basic auth.

IP's CSV connection reaches a permanent URL with optional basic auth (reference §4.2), so
these views skip the session login and check the ``IP_FEED_USERNAME``/``IP_FEED_PASSWORD``
pair instead, in constant time. Both files (sales orders, products) share the auth, the HEAD
answer and the delivery receipt. With no password configured the feed is refused, except in
DEBUG, where the documented sandbox password keeps the demo loop working.
"""

import base64
import hmac

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.views.decorators.http import require_safe

from centra_ip import ratelimit
from syncs.models import FeedDelivery
from syncs.orders.feed import feed_csv, feed_delivery_start
from syncs.orders.products_feed import products_csv, products_feed_enabled

SANDBOX_FEED_PASSWORD = "sandbox-feed"  # DEBUG only, when IP_FEED_PASSWORD is empty
REALM = 'Basic realm="centra-ip feeds", charset="UTF-8"'


def feed_credentials() -> tuple[str, str] | None:
    """The pair IP must send, or None when the feed is not configured (refuse it)."""
    if settings.IP_FEED_PASSWORD:
        return settings.IP_FEED_USERNAME, settings.IP_FEED_PASSWORD
    if settings.DEBUG:
        return settings.IP_FEED_USERNAME, SANDBOX_FEED_PASSWORD
    return None


def _authorised(request, expected: tuple[str, str]) -> bool:
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        username, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except ValueError:  # binascii.Error, UnicodeDecodeError, and non-ASCII header text
        return False
    # Both compared every time, so the answer's timing says nothing about which was wrong.
    user_ok = hmac.compare_digest(username.encode(), expected[0].encode())
    password_ok = hmac.compare_digest(password.encode(), expected[1].encode())
    return user_ok and password_ok


def _serve(request, *, feed: str, filename: str, stream):
    """Basic auth, then HEAD (IP's check when the connection is set up: headers only, no
    receipt) or GET: a receipt started before the first byte and the file streamed."""
    expected = feed_credentials()
    if expected is None:  # no password configured: the feed does not exist (and says no more)
        raise Http404
    # Counted per client address only: a per-username count would let anyone lock IP out.
    keys = ratelimit.keys_for(ratelimit.FEED, address=ratelimit.client_address(request))
    wait = ratelimit.wait_seconds(ratelimit.FEED, keys)
    if wait:
        response = HttpResponse(ratelimit.refusal_text(wait), status=429, content_type="text/plain")
        response["Retry-After"] = str(wait)
        return response
    if not _authorised(request, expected):
        ratelimit.failure_record(ratelimit.FEED, keys)
        response = HttpResponse("Authentication required.", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = REALM
        return response
    headers = {
        "Content-Disposition": f'inline; filename="{filename}"',
        "Cache-Control": "no-store",
    }
    if request.method == "HEAD":
        return HttpResponse(content_type="text/csv; charset=utf-8", headers=headers)
    delivery = feed_delivery_start(
        feed=feed,
        remote_addr=request.META.get("REMOTE_ADDR", ""),
        user_agent=request.headers.get("User-Agent", ""),
    )
    return StreamingHttpResponse(
        stream(delivery=delivery), content_type="text/csv; charset=utf-8", headers=headers
    )


@login_not_required
@require_safe
def sales_orders_csv(request):
    """``GET /feeds/inventory-planner/sales-orders.csv``: the full sales-order file, streamed."""
    return _serve(
        request,
        feed=FeedDelivery.Feed.SALES_ORDERS,
        filename="sales-orders.csv",
        stream=feed_csv,
    )


@login_not_required
@require_safe
def products_csv_view(request):
    """``GET /feeds/inventory-planner/products.csv``: the products file, where the deployment
    serves one (``IP_PRODUCTS_FEED``); otherwise the URL does not exist (404)."""
    if not products_feed_enabled():
        raise Http404
    return _serve(
        request, feed=FeedDelivery.Feed.PRODUCTS, filename="products.csv", stream=products_csv
    )
