"""The one way out to Centra: ``CentraSession``, which ``CentraClient`` builds on.

One ``httpx.Client`` (``syncs.connectors.http``, role ``centra``) with explicit timeouts.
Every logical call (one GraphQL document, with its retries) goes through ``execute``, which

1. waits for the pacer (client-side token buckets mirroring Centra's, so a burst of stock
   writes is spread out instead of running into 429s),
2. sends the document, classifies what comes back into the shared error classes
   (``syncs.connectors.base``): timeouts, connection errors, 429 and 5xx are retryable;
   401/403, GraphQL ``errors`` and unreadable payloads are permanent,
3. retries retryable errors through ``call_with_retries`` (full-jitter backoff that never
   undercuts ``Retry-After``; a call that is not idempotent only when it was not sent),
4. reports exactly one ``CallRecord`` (never the token) to the recorder.

The operations (what the hub reads and writes) are ``client.py``'s; reading the answers
into typed rows is ``parse.py``'s.
"""

import json
import random
from collections.abc import Mapping
from datetime import UTC, datetime

import httpx

from syncs.connectors.base import (
    AuthError,
    BadPayloadError,
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

from .pacing import CentraLimits, Pacer
from .parse import PAYLOAD_ERRORS, error_details, error_text, messages

SYSTEM = "centra"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
# A 429 without a readable Retry-After waits out Centra's shortest bucket window [RL]:
# earlier requests would only re-trigger the limit.
DEFAULT_RETRY_AFTER = 10.0


class CentraSession(ClosingClient):
    """Sending documents to Centra: pacing, retries, error classes and call records.

    ``CentraClient`` (``client.py``) adds the operations; nothing else builds on this.
    """

    def __init__(
        self,
        url: str,
        token: str,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Clock | None = None,
        recorder: Recorder = discard,
        retry: RetryPolicy | None = None,
        limits: CentraLimits | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        fta_quantity_type: str = "FREE_TO_ALLOCATE",
        rng: random.Random | None = None,
        pacer: Pacer | None = None,
    ):
        self.url = url
        self.clock = clock or Clock()
        self.recorder = recorder
        self.retry = retry or RetryPolicy()
        self.pacer = pacer or Pacer(limits or CentraLimits(), self.clock)
        # UNCONFIRMED spelling of StockQuantityType's free-to-allocate member.
        self.fta_quantity_type = fta_quantity_type
        self._rng = rng or random.Random()
        self._complexity: dict[str, int] = {}  # last extensions.complexity per document
        # Masked wherever Centra's answers are read, so no message can carry it on.
        self._secrets = [token] if len(token) >= 4 else []
        self._http = http_client(
            "centra",
            transport=transport,
            timeout=timeout,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        )

    # -- the one way out -------------------------------------------------------------------
    def execute(
        self,
        operation: str,
        query: str,
        variables: Mapping | None = None,
        *,
        mutation: bool = False,
        idempotent: bool = True,
        record_user_errors: str | None = None,
    ) -> dict:
        """Send one document (with retries) and return its ``data``; raise ConnectorError.

        ``idempotent=False`` (a relative ``changeStock``) is never sent again once it may
        have reached Centra (``call_with_retries``). ``record_user_errors`` names the
        mutation payload whose ``userErrors`` make the call record a ``permanent_error``
        (the result still carries them per item).
        """
        label = f"{'mutation' if mutation else 'query'} {operation}"
        started_at = datetime.now(UTC)
        t0 = self.clock.monotonic()
        tally = AttemptTally()
        try:
            data, retries = call_with_retries(
                lambda: self._attempt(label, query, variables, mutation),
                policy=self.retry,
                clock=self.clock,
                idempotent=idempotent,
                rng=self._rng,
                tally=tally,
            )
        except ConnectorError as error:
            self._record(
                label, started_at, t0, error.status_code, error.retries, error=error, tally=tally
            )
            raise
        self._record(
            label,
            started_at,
            t0,
            200,
            retries,
            user_errors=self._user_error_note(data, record_user_errors),
            tally=tally,
        )
        return data

    def _attempt(self, label: str, query: str, variables, mutation: bool) -> dict:
        estimate = self._complexity.get(query, 0)
        self.pacer.acquire(mutation=mutation, complexity=estimate)
        body = {"query": query, "variables": dict(variables or {})}
        with transport_errors(system=SYSTEM, operation=label):
            response = self._http.post(self.url, json=body)
        status = response.status_code
        if status == 429:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            raise ThrottledError(
                "throttled by Centra",
                system=SYSTEM,
                operation=label,
                status_code=status,
                retry_after=DEFAULT_RETRY_AFTER if retry_after is None else retry_after,
            )
        if status >= 500:
            raise RetryableError(
                "Centra server error", system=SYSTEM, operation=label, status_code=status
            )
        try:
            payload = json.loads(self._redact(response.text))
        except ValueError:
            payload = None
        if status in (401, 403):
            raise AuthError(
                error_text(payload) or "not authorised",
                system=SYSTEM,
                operation=label,
                status_code=status,
            )
        if status != 200:
            raise PermanentError(
                error_text(payload) or "unexpected status",
                system=SYSTEM,
                operation=label,
                status_code=status,
            )
        if not isinstance(payload, dict):
            raise BadPayloadError(
                "answer is not a JSON object", system=SYSTEM, operation=label, status_code=status
            )
        self._settle_complexity(query, estimate, payload.get("extensions"))
        errors = payload.get("errors")
        if errors:
            categories = {d["category"] for d in error_details(errors)}
            kind = AuthError if categories & {"authorization", "authentication"} else PermanentError
            raise kind(
                error_text(payload) or "GraphQL error",
                system=SYSTEM,
                operation=label,
                status_code=status,
                details=error_details(errors),
            )
        data = payload.get("data")
        if not isinstance(data, dict):
            raise BadPayloadError(
                "answer has no data", system=SYSTEM, operation=label, status_code=status
            )
        return data

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def _settle_complexity(self, query: str, estimate: int, extensions) -> None:
        complexity = extensions.get("complexity") if isinstance(extensions, dict) else None
        if isinstance(complexity, int | float) and not isinstance(complexity, bool):
            self.pacer.settle_complexity(complexity - estimate)
            self._complexity[query] = int(complexity)

    def _record(
        self, label, started_at, t0, status_code, retries, *, error=None, user_errors="", tally
    ):
        self.recorder(
            call_record(
                system=SYSTEM,
                operation=label,
                started_at=started_at,
                duration_ms=int((self.clock.monotonic() - t0) * 1000),
                status_code=status_code,
                retries=retries,
                tally=tally,
                error=error,
                note=user_errors,
            )
        )

    @staticmethod
    def _user_error_note(data: dict, payload_name: str | None) -> str:
        if payload_name is None:
            return ""
        payload = data.get(payload_name)
        errors = payload.get("userErrors") if isinstance(payload, dict) else None
        if not errors or not isinstance(errors, list):
            return ""
        first = errors[0].get("message", "") if isinstance(errors[0], dict) else ""
        return f"{len(errors)} userErrors: {first}"

    def _bad(self, operation: str, error: Exception) -> BadPayloadError:
        return BadPayloadError(
            f"unexpected payload ({type(error).__name__}: {error})",
            system=SYSTEM,
            operation=f"query {operation}",
        )

    def _pages(self, operation: str, query: str, variables: dict, page_size: int, build):
        """Yield typed rows page by page (page 1, 2, ...) until a short or empty page."""
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        page = 1
        while True:
            data = self.execute(operation, query, {**variables, "limit": page_size, "page": page})
            try:
                items = data[operation]
                if not isinstance(items, list):
                    raise TypeError(f"{operation} is not a list")
                rows = build(items)
            except PAYLOAD_ERRORS as error:
                raise self._bad(operation, error) from None
            yield from rows
            if len(items) < page_size:
                return
            page += 1

    def _payload(self, data: dict, name: str) -> dict:
        """A mutation payload; its userErrors (no per-item meaning here) are permanent."""
        payload = data.get(name)
        if not isinstance(payload, dict):
            raise BadPayloadError(
                f"{name} payload missing", system=SYSTEM, operation=f"mutation {name}"
            )
        try:
            errors = messages(payload, "userErrors")
        except PAYLOAD_ERRORS as error:
            raise self._bad(name, error) from None
        if errors:
            raise PermanentError(
                "; ".join(e.message for e in errors[:3]),
                system=SYSTEM,
                operation=f"mutation {name}",
                details=errors,
            )
        return payload
