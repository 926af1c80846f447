"""The exception types, declared in code: what each one means, who owns it, how fast it must
be handled, what it is about, how it is retried and when it resolves itself.

The registry is the single source for the desk, the notifications and the documentation
pages. Admins may override the owner team and the SLA of a type without a deploy
(``exceptions.models.TypeOverride``); ``exceptions.overrides.effective_type()`` applies
those overrides.

Retry actions live with the engines; each type names its action by dotted path
(``retry=``), imported on first use, so the registry imports no engine. A type with no
retry action says so on the ticket instead of offering a button that cannot work.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.utils.module_loading import import_string

from centra_ip.teams import ADMIN, ECOMMERCE, FINANCE, FULFILMENT, MERCHANDISING, OPERATIONS

# Subject kinds: the identifier a ticket is primarily about.
SKU = "sku"
ORDER = "order"
RETURN = "return"
STREAM = "stream"
WAREHOUSE = "warehouse"
SUBJECT_KINDS = (SKU, ORDER, RETURN, STREAM, WAREHOUSE)

# Severities, most urgent first; the queue and the digest sort by this order.
CRITICAL = "critical"
WARNING = "warning"
INFO = "info"
SEVERITY_CHOICES = [(CRITICAL, "Critical"), (WARNING, "Warning"), (INFO, "Info")]


@dataclass(frozen=True)
class RetryResult:
    """What a retry action reports: ``ok`` clears the ticket; ``message`` goes to history."""

    ok: bool
    message: str
    data: dict | None = None


# A retry action gets the ticket (read its subject fields) and re-derives the failed unit
# from current state; it must never replay the stale payload stored in the ticket context.
RetryAction = Callable[[object], RetryResult]


class TicketType:
    """Every exception type's code as a constant: code names a type by these, so a typo
    fails at import time instead of at the first raise (``get_type``)."""

    SKU_MISSING_IN_IP = "sku_missing_in_ip"
    SKU_MISSING_IN_CENTRA = "sku_missing_in_centra"
    CENTRA_SIZE_WITHOUT_SKU = "centra_size_without_sku"
    ORPHANED_ORDER = "orphaned_order"
    ORDERS_EVENTS_UNAVAILABLE = "orders_events_unavailable"
    CANCELLATION_NOT_RELEASED = "cancellation_not_released"
    STOCK_PUSH_REJECTED = "stock_push_rejected"
    STOCK_DRIFT = "stock_drift"
    STOCK_UNREADABLE = "stock_unreadable"
    PUSH_HELD = "push_held"
    STOCK_IN_FAILED = "stock_in_failed"
    RETURN_OVERDUE = "return_overdue"
    API_TIMEOUT = "api_timeout"
    API_UNAVAILABLE = "api_unavailable"
    API_THROTTLED = "api_throttled"
    API_AUTH_FAILURE = "api_auth_failure"
    API_BAD_PAYLOAD = "api_bad_payload"
    API_CHECK_FAILED = "api_check_failed"
    STREAM_LATE = "stream_late"
    SYNC_FAILED = "sync_failed"
    RECONCILIATION_MISMATCH = "reconciliation_mismatch"


# The ticket types a failed connector call becomes (``syncs.runner.api_ticket_type``).
API_FAILURE_TYPES = (
    TicketType.API_TIMEOUT,
    TicketType.API_UNAVAILABLE,
    TicketType.API_AUTH_FAILURE,
    TicketType.API_BAD_PAYLOAD,
)


@dataclass(frozen=True)
class ExceptionType:
    code: str
    title: str
    team: str
    severity: str
    acknowledge_within: timedelta
    resolve_within: timedelta
    subject: str
    raised_when: str
    auto_resolves_when: str
    retry: str | None = None  # dotted path to a RetryAction, resolved on first use
    retry_label: str = ""  # what the retry button does, e.g. "Push this SKU's stock again"


_H = timedelta(hours=1)
_D = timedelta(days=1)

TYPES: tuple[ExceptionType, ...] = (
    ExceptionType(
        code=TicketType.SKU_MISSING_IN_IP,
        retry="syncs.catalog.retries.sku_ticket_retry",
        title="SKU missing in Inventory Planner",
        team=MERCHANDISING,
        severity=WARNING,
        acknowledge_within=4 * _H,
        resolve_within=2 * _D,
        subject=SKU,
        raised_when="A Centra size/SKU has no Inventory Planner variant (catalog run or an "
        "order line).",
        auto_resolves_when="A catalog run finds an Inventory Planner variant with this SKU.",
        retry_label="Check the SKU in both systems again",
    ),
    ExceptionType(
        code=TicketType.SKU_MISSING_IN_CENTRA,
        retry="syncs.catalog.retries.sku_ticket_retry",
        title="SKU missing in Centra",
        team=ECOMMERCE,
        severity=WARNING,
        acknowledge_within=4 * _H,
        resolve_within=2 * _D,
        subject=SKU,
        raised_when="An active Inventory Planner variant with stock has no Centra size.",
        auto_resolves_when="A catalog run finds the Centra size, or the IP variant is removed "
        "or has no stock.",
        retry_label="Check the SKU in both systems again",
    ),
    ExceptionType(
        code=TicketType.CENTRA_SIZE_WITHOUT_SKU,
        title="Centra sizes without a SKU",
        team=ECOMMERCE,
        severity=WARNING,
        acknowledge_within=4 * _H,
        resolve_within=2 * _D,
        subject=STREAM,
        raised_when="A catalog run found active Centra product sizes with no SKU (Centra's "
        "schema allows it): they cannot be mapped, so their stock is never pushed. One ticket "
        "for the catalog lists them.",
        auto_resolves_when="A catalog run finds every active Centra size with a SKU.",
    ),
    ExceptionType(
        code=TicketType.ORPHANED_ORDER,
        retry="syncs.orders.retries.orphaned_order_retry",
        title="Orphaned order",
        team=OPERATIONS,
        severity=CRITICAL,
        acknowledge_within=1 * _H,
        resolve_within=8 * _H,
        subject=ORDER,
        raised_when="A Centra order is not in the ledger, or Inventory Planner has not taken "
        "it within its SLA.",
        auto_resolves_when="The order is in the ledger and the feed receipt shows IP took it.",
        retry_label="Pull this order from Centra and publish it again",
    ),
    ExceptionType(
        code=TicketType.ORDERS_EVENTS_UNAVAILABLE,
        title="Centra order events unavailable",
        team=ADMIN,
        severity=WARNING,
        acknowledge_within=4 * _H,
        resolve_within=3 * _D,
        subject=STREAM,
        raised_when="The orders stream cannot use Centra's events (a refused call: no Event "
        "permission or integration name), or read none for several runs while orders changed "
        "(the event system not enabled). Orders still flow by polling; this is one ticket, "
        "never one per order.",
        auto_resolves_when="An orders run reads Centra events again (or events are switched "
        "off with ORDERS_USE_EVENTS).",
    ),
    ExceptionType(
        code=TicketType.CANCELLATION_NOT_RELEASED,
        retry="syncs.orders.retries.cancellation_retry",
        title="Cancellation not released",
        team=OPERATIONS,
        severity=WARNING,
        acknowledge_within=2 * _H,
        resolve_within=1 * _D,
        subject=ORDER,
        raised_when="A cancelled order or line is still counted as demand after its SLA.",
        auto_resolves_when="IP has taken the cancelled line from the feed.",
        retry_label="Publish this order's cancellation again",
    ),
    ExceptionType(
        code=TicketType.STOCK_PUSH_REJECTED,
        retry="syncs.stock.held.retry_push_rejected",
        title="Stock push rejected",
        team=ECOMMERCE,
        severity=CRITICAL,
        acknowledge_within=1 * _H,
        resolve_within=4 * _H,
        subject=SKU,
        raised_when="Centra answered a stock write for this SKU with userErrors or a failure.",
        auto_resolves_when="A later push of this SKU is accepted by Centra.",
        retry_label="Recompute and push this SKU's stock",
    ),
    ExceptionType(
        code=TicketType.STOCK_DRIFT,
        retry="syncs.stock.held.retry_push_rejected",
        title="Stock drift / oversell risk",
        team=OPERATIONS,
        severity=CRITICAL,
        acknowledge_within=1 * _H,
        resolve_within=4 * _H,
        subject=SKU,
        raised_when="After a stock cycle, Centra availability differs from ATS beyond the "
        "tolerance.",
        auto_resolves_when="A stock cycle reads Centra availability within tolerance of ATS.",
        retry_label="Recompute and push this SKU's stock",
    ),
    ExceptionType(
        code=TicketType.STOCK_UNREADABLE,
        title="Stock unreadable in Inventory Planner",
        team=OPERATIONS,
        severity=WARNING,
        acknowledge_within=4 * _H,
        resolve_within=1 * _D,
        subject=SKU,
        raised_when="Inventory Planner's answer has no readable in_stock for this SKU in a "
        "mapped warehouse: the SKU is skipped, its Centra stock left as it is (never zeroed).",
        auto_resolves_when="A stock cycle reads the SKU's stock in IP again.",
    ),
    ExceptionType(
        code=TicketType.PUSH_HELD,
        retry="syncs.retries.stream_run_retry",
        title="Stock push held by guard",
        team=OPERATIONS,
        severity=CRITICAL,
        acknowledge_within=30 * timedelta(minutes=1),
        resolve_within=2 * _H,
        subject=STREAM,
        raised_when="The anomaly guard stopped a stock push (e.g. many SKUs suddenly at zero, "
        "or a partial read).",
        auto_resolves_when="The next stock cycle passes the guard and pushes.",
        retry_label="Run the stock cycle again",
    ),
    ExceptionType(
        code=TicketType.STOCK_IN_FAILED,
        retry="returns.stock_in.stock_in_retry",
        title="Stock-in failed / not confirmed",
        team=FULFILMENT,
        severity=WARNING,
        acknowledge_within=4 * _H,
        resolve_within=1 * _D,
        subject=RETURN,
        raised_when="A QC-passed return line could not be stocked in, or the stock-in was not "
        "confirmed within its SLA.",
        auto_resolves_when="The stock-in is read back as confirmed.",
        retry_label="Register this return's stock-in again",
    ),
    ExceptionType(
        code=TicketType.RETURN_OVERDUE,
        title="Return overdue",
        team=FULFILMENT,
        severity=INFO,
        acknowledge_within=1 * _D,
        resolve_within=7 * _D,
        subject=RETURN,
        raised_when="An expected return was not received within the configured number of days.",
        auto_resolves_when="The return's receipt is recorded, or the return is cancelled.",
    ),
    ExceptionType(
        code=TicketType.API_TIMEOUT,
        retry="syncs.retries.stream_run_retry",
        title="API timeout",
        team=ADMIN,
        severity=WARNING,
        acknowledge_within=1 * _H,
        resolve_within=4 * _H,
        subject=STREAM,
        raised_when="Calls to Centra or Inventory Planner kept timing out after retries.",
        auto_resolves_when="The stream's next run completes its calls.",
        retry_label="Run the stream again",
    ),
    ExceptionType(
        code=TicketType.API_UNAVAILABLE,
        retry="syncs.retries.stream_run_retry",
        title="API unavailable",
        team=ADMIN,
        severity=CRITICAL,
        acknowledge_within=1 * _H,
        resolve_within=4 * _H,
        subject=STREAM,
        raised_when="Centra or Inventory Planner answered 5xx/429 or refused connections "
        "after retries.",
        auto_resolves_when="The stream's next run completes its calls.",
        retry_label="Run the stream again",
    ),
    ExceptionType(
        code=TicketType.API_THROTTLED,
        title="API throttling persists",
        team=ADMIN,
        severity=WARNING,
        acknowledge_within=1 * _H,
        resolve_within=4 * _H,
        subject=STREAM,
        raised_when="A stream's calls were answered 429 (too many requests) many times within "
        "the watchdog's window, even if retries absorbed them: the stream is slowed down and "
        "the shared quota is exhausted.",
        auto_resolves_when="A watchdog check finds the stream's throttling below the threshold.",
    ),
    ExceptionType(
        code=TicketType.API_AUTH_FAILURE,
        retry="syncs.retries.stream_run_retry",
        title="API authentication failure",
        team=ADMIN,
        severity=CRITICAL,
        acknowledge_within=30 * timedelta(minutes=1),
        resolve_within=2 * _H,
        subject=STREAM,
        raised_when="Centra or Inventory Planner rejected the credentials (401/403).",
        auto_resolves_when="The stream's next run authenticates.",
        retry_label="Run the stream again",
    ),
    ExceptionType(
        code=TicketType.API_BAD_PAYLOAD,
        retry="syncs.retries.stream_run_retry",
        title="API bad payload",
        team=ADMIN,
        severity=WARNING,
        acknowledge_within=4 * _H,
        resolve_within=1 * _D,
        subject=STREAM,
        raised_when="An API answered with data the hub cannot parse.",
        auto_resolves_when="The stream's next run parses every answer.",
        retry_label="Run the stream again",
    ),
    ExceptionType(
        code=TicketType.API_CHECK_FAILED,
        title="API check failed",
        team=ADMIN,
        severity=CRITICAL,
        acknowledge_within=4 * _H,
        resolve_within=1 * _D,
        subject=STREAM,
        raised_when="manage.py check_apis (daily, or the button on the sync health page) "
        "found Centra's schema, the token's permissions or Inventory Planner's stock fields "
        "not as the clients use them; the context lists every problem.",
        auto_resolves_when="The API check passes.",
    ),
    ExceptionType(
        code=TicketType.STREAM_LATE,
        retry="syncs.retries.stream_run_retry",
        title="Stream late",
        team=ADMIN,
        severity=CRITICAL,
        acknowledge_within=30 * timedelta(minutes=1),
        resolve_within=4 * _H,
        subject=STREAM,
        raised_when="The watchdog found a stream with no successful run within its cadence.",
        auto_resolves_when="The stream succeeds again.",
        retry_label="Run the stream now",
    ),
    ExceptionType(
        code=TicketType.SYNC_FAILED,
        retry="syncs.retries.stream_run_retry",
        title="Sync run failed",
        team=ADMIN,
        severity=CRITICAL,
        acknowledge_within=1 * _H,
        resolve_within=4 * _H,
        subject=STREAM,
        raised_when="A stream's run failed with an error that is not an API error (an engine "
        "bug or an unforeseen payload); the context has the error's type and message.",
        auto_resolves_when="The stream's next run succeeds.",
        retry_label="Run the stream again",
    ),
    ExceptionType(
        code=TicketType.RECONCILIATION_MISMATCH,
        title="Reconciliation mismatch",
        team=FINANCE,
        severity=WARNING,
        acknowledge_within=1 * _D,
        resolve_within=5 * _D,
        subject=ORDER,
        raised_when="Finance reconciliation finds Centra revenue and stock movements disagree "
        "for an order or SKU.",
        auto_resolves_when="A reconciliation run finds the order in balance.",
    ),
)

_BY_CODE: dict[str, ExceptionType] = {t.code: t for t in TYPES}

TYPE_CODES = tuple(_BY_CODE)


def type_choices() -> list[tuple[str, str]]:
    """Choices for the ticket ``type`` field; a callable so migrations do not copy the list."""
    return [(t.code, t.title) for t in TYPES]


def get_type(code: str) -> ExceptionType:
    """The type as declared in code; ``KeyError`` for an unknown code (an engine bug)."""
    try:
        return _BY_CODE[code]
    except KeyError:
        raise KeyError(f"Unknown exception type {code!r}: declare it in the registry") from None


def retry_action(type_code: str) -> RetryAction | None:
    """The type's retry action (imported on first use), or None when it has none."""
    dotted = get_type(type_code).retry
    return import_string(dotted) if dotted else None
