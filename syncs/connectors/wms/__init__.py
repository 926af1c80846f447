"""The WMS webhook connector: ``WmsClient`` and its typed values."""

from .client import SIGNATURE_HEADER, TIMESTAMP_HEADER, WmsClient, webhook_signature
from .types import StockInNotice, StockInRecord

__all__ = [
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "StockInNotice",
    "StockInRecord",
    "WmsClient",
    "webhook_signature",
]
