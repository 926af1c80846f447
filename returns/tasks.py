"""Background tasks of the returns flow: thin, take ids, safe when delivered twice."""

from returns.stock_in import stock_in_run


def stock_in(stock_in_id: int) -> str:
    """Run one stock-in; a second delivery finds it claimed or confirmed and does nothing."""
    result = stock_in_run(stock_in_id=stock_in_id, trigger="task")
    return f"stock-in {result.idempotency_key}: {result.state}"
