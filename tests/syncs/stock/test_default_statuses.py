import pytest

from syncs.models import StockStatus
from syncs.stock.config import DEFAULT_STATUSES, stock_statuses_ensure_defaults


@pytest.mark.django_db
def test_missing_defaults_come_back_and_existing_ones_are_left_as_admins_set_them():
    StockStatus.objects.filter(code="in_qc").delete()
    StockStatus.objects.filter(code="reserved").update(name="Held", sellable=True)
    stock_statuses_ensure_defaults()
    stock_statuses_ensure_defaults()
    codes = set(StockStatus.objects.values_list("code", flat=True))
    assert {code for code, _, _ in DEFAULT_STATUSES} <= codes
    assert StockStatus.objects.filter(code="in_qc", sellable=False).count() == 1
    reserved = StockStatus.objects.get(code="reserved")
    assert (reserved.name, reserved.sellable) == ("Held", True)
