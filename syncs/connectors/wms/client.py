"""The WMS webhook: a signed JSON POST per stock-in, and the read-back of its key.

The WMS is the third outgoing system, after Centra and Inventory Planner, and is reached
the same way: one ``httpx.Client`` from the HTTP seam (``syncs.connectors.http``, role
``wms_webhook``), attempts through ``call_with_retries`` and one ``CallRecord`` per call
(system ``wms``) to the recorder, which the app stores as an ``ExternalCall`` row.

The POST carries ``Idempotency-Key``: the WMS must treat a repeated key as the same
stock-in, so the POST is idempotent and may be sent again. By default it is not retried
here (``RetryPolicy(max_retries=0)``): the returns stock-in is the retry unit, and a failed
step is an attempt on it and a ticket whose retry posts the same key
(``docs/returns.md``).
"""

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime

import httpx

from syncs.connectors.base import (
    Clock,
    ClosingClient,
    ConnectorError,
    PermanentError,
    RetryableError,
    RetryPolicy,
    ThrottledError,
    call_with_retries,
    parse_retry_after,
    transport_errors,
)
from syncs.connectors.http import http_client
from syncs.connectors.recording import AttemptTally, Recorder, call_record, discard

from .types import StockInNotice, StockInRecord

SYSTEM = "wms"
SIGNATURE_HEADER = "X-Centra-IP-Signature"
TIMESTAMP_HEADER = "X-Centra-IP-Timestamp"
NO_RETRIES = RetryPolicy(max_retries=0)


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex HMAC of "<timestamp>.<body>">``: the WMS recomputes it to trust the call."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


class WmsClient(ClosingClient):
    """Posts stock-ins to the WMS and reads them back; errors as ``ConnectorError``s."""

    def __init__(
        self,
        url: str,
        secret: str,
        *,
        timeout: float,
        transport: httpx.BaseTransport | None = None,
        clock: Clock | None = None,
        recorder: Recorder = discard,
        retry: RetryPolicy = NO_RETRIES,
    ):
        self._url = url.rstrip("/")
        self._secret = secret
        self._clock = clock or Clock()
        self._recorder = recorder
        self._retry = retry
        self._http = http_client(
            "wms_webhook",
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            headers={"Accept": "application/json"},
        )

    def stock_in_post(self, notice: StockInNotice) -> None:
        """Tell the WMS of one stock-in, signed, keyed by ``notice.key``."""
        body = json.dumps(
            {
                "event": "return.stock_in",
                "idempotency_key": notice.key,
                "return_id": notice.return_id,
                "order_number": notice.order_number,
                "warehouse": notice.warehouse,
                "lines": [{"sku": notice.sku, "quantity": notice.quantity}],
            },
            separators=(",", ":"),
        ).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": notice.key,
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: webhook_signature(self._secret, timestamp, body),
        }
        self._call("POST", self._url, "POST webhook", content=body, headers=headers)

    def stock_in_read(self, key: str) -> StockInRecord | None:
        """The WMS's record of ``key`` (``GET <url>/<key>``); None when it has none (404)."""
        return self._call("GET", f"{self._url}/{key}", "GET webhook", read=_record_read)

    def _call(self, method, url, operation, *, read=None, **kwargs):
        """One logical call: attempts through ``call_with_retries``, then one record."""
        started_at = datetime.now(UTC)
        t0 = self._clock.monotonic()
        status = {"code": None}  # of the last attempt that got an answer

        def attempt():
            status["code"] = None
            response = self._send(method, url, operation, **kwargs)
            status["code"] = response.status_code
            return read(response, operation) if read else None

        tally = AttemptTally()
        try:
            result, retries = call_with_retries(
                attempt, policy=self._retry, clock=self._clock, tally=tally
            )
        except ConnectorError as error:
            code = error.status_code or status["code"]
            self._record(operation, started_at, t0, code, error.retries, tally, error)
            raise
        self._record(operation, started_at, t0, status["code"], retries, tally)
        return result

    def _send(self, method, url, operation, **kwargs) -> httpx.Response:
        """One attempt: a 2xx, or a 404 to a read-back, is an answer; the rest are errors."""
        with transport_errors(system=SYSTEM, operation=operation):
            response = self._http.request(method, url, **kwargs)
        status = response.status_code
        if 200 <= status < 300 or (status == 404 and method == "GET"):
            return response
        if status == 429:
            raise ThrottledError(
                f"HTTP {status}",
                system=SYSTEM,
                operation=operation,
                status_code=status,
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
            )
        cls = RetryableError if status >= 500 else PermanentError
        raise cls(f"HTTP {status}", system=SYSTEM, operation=operation, status_code=status)

    def _record(self, operation, started_at, t0, status_code, retries, tally, error=None):
        self._recorder(
            call_record(
                system=SYSTEM,
                operation=operation,
                started_at=started_at,
                duration_ms=int((self._clock.monotonic() - t0) * 1000),
                status_code=status_code,
                retries=retries,
                tally=tally,
                error=error,
            )
        )


def _record_read(response: httpx.Response, operation: str) -> StockInRecord | None:
    """The read-back's body: an object with a ``status`` and a whole ``quantity``."""
    if response.status_code == 404:
        return None
    try:
        data = response.json()
    except ValueError:
        raise PermanentError(
            "the WMS answered with no JSON", system=SYSTEM, operation=operation
        ) from None
    quantity = data.get("quantity", 0) if isinstance(data, dict) else None
    if not isinstance(quantity, int) or isinstance(quantity, bool):
        raise PermanentError(
            "the WMS answered with an unexpected shape (an object with a whole quantity)",
            system=SYSTEM,
            operation=operation,
        )
    return StockInRecord(str(data.get("status") or ""), quantity)
