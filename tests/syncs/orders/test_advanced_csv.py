"""Advanced CSV drop-folder files: IP's columns and file layout, incremental by watermark
(a second run writes only what changed, nothing when nothing did), atomic writes, a record
per file, and the off switches (no folder; variants not configured)."""

import os
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command

from syncs.models import SalesFeedRow, SkuMapping
from syncs.models.orders import AdvancedCsvFile, AdvancedCsvStock
from syncs.models.stock import StockPosition
from syncs.orders import advanced_csv
from syncs.orders.advanced_csv import advanced_csv_write
from syncs.tasks import write_advanced_csv
from tests.syncs.orders.test_feed import ledger_order
from tests.syncs.orders.test_products_feed import mapping

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
SALES_HEADER = (
    "ORDER_ID,ID,VARIANT_ID,WAREHOUSE,CURRENCY,QUANTITY,PRICE,CREATED_AT,REMOVED,UPDATED_AT,"
    "CANCELLED"
)


@pytest.fixture
def drop(settings, tmp_path):
    settings.IP_ADVANCED_CSV_DIR = str(tmp_path)
    settings.IP_FEED_COMMIT_MARGIN_SECONDS = 60
    return tmp_path


def read(folder: Path, record: AdvancedCsvFile) -> list[str]:
    return (folder / record.name).read_text().splitlines()


def files_in(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*.csv") if path.is_file())


def test_off_while_no_folder_is_set(settings):
    settings.IP_ADVANCED_CSV_DIR = ""
    assert write_advanced_csv() == "off: IP_ADVANCED_CSV_DIR is empty"
    with pytest.raises(ImproperlyConfigured):
        advanced_csv_write()
    with pytest.raises(CommandError, match="set IP_ADVANCED_CSV_DIR"):
        call_command("advanced_csv")
    assert AdvancedCsvFile.objects.count() == 0


def test_first_run_writes_the_warehouse_and_every_sales_row(drop):
    ledger_order(1001, T0, [(1, "A-1", 2, "10.00", False), (2, "B-2", 1, "5.00", True)])
    SalesFeedRow.objects.create(
        source="return_line", source_ref="r7", order_number="1001", sku="A-1",
        product_id="v-A-1", date=T0, quantity=-1, price=Decimal("10.00"), currency="EUR",
        changed_at=T0 + timedelta(hours=1),
    )  # fmt: skip
    now = T0 + timedelta(hours=2)

    warehouse, sales = advanced_csv_write(now=now)

    assert files_in(drop) == [
        "sales_order/sales_order_20261120T113000000000Z.csv",
        "warehouse/warehouse_20261120T113000000000Z.csv",
    ]
    assert read(drop, warehouse) == [
        "WAREHOUSE_ID,DISPLAY_NAME,UPDATED_AT,REMOVED",
        "centra,Centra,2026-11-20 11:30:00,false",
    ]
    assert read(drop, sales) == [
        SALES_HEADER,
        "1,1001,v-A-1,centra,EUR,2,10.00,2026-11-20 09:30:00,false,2026-11-20 09:30:00,false",
        "2,1001,v-B-2,centra,EUR,1,5.00,2026-11-20 09:30:00,false,2026-11-20 09:30:00,true",
        "return-r7,1001,v-A-1,centra,EUR,-1,10.00,2026-11-20 09:30:00,false,"
        "2026-11-20 10:30:00,false",
    ]
    assert (sales.entity, sales.rows, sales.since, sales.through) == (
        "sales_order",
        3,
        None,
        now - timedelta(seconds=60),
    )
    assert sales.bytes == os.path.getsize(drop / sales.name)
    assert not list((drop / ".staging").iterdir())


def test_second_run_writes_only_what_changed_and_nothing_when_nothing_did(drop):
    ledger_order(1001, T0, [(1, "A-1", 2, "10.00", False), (2, "B-2", 1, "5.00", False)])
    advanced_csv_write(now=T0 + timedelta(hours=1))

    assert advanced_csv_write(now=T0 + timedelta(hours=2)) == []
    assert write_advanced_csv() == "nothing new or changed: no file written"

    SalesFeedRow.objects.filter(source_ref="2").update(
        cancelled=True, changed_at=T0 + timedelta(hours=2, minutes=30)
    )
    ledger_order(1002, T0 + timedelta(hours=2, minutes=40), [(3, "A-1", 1, "10.00", False)])
    (sales,) = advanced_csv_write(now=T0 + timedelta(hours=3))

    assert read(drop, sales)[1:] == [
        "2,1001,v-B-2,centra,EUR,1,5.00,2026-11-20 09:30:00,false,2026-11-20 12:00:00,true",
        "3,1002,v-A-1,centra,EUR,1,10.00,2026-11-20 12:10:00,false,2026-11-20 12:10:00,false",
    ]
    assert sales.since == T0 + timedelta(hours=1) - timedelta(seconds=60)
    assert AdvancedCsvFile.objects.filter(entity="sales_order").count() == 2
    assert AdvancedCsvFile.objects.filter(entity="warehouse").count() == 1


def test_a_row_inside_the_commit_margin_waits_for_the_next_file(drop):
    now = T0 + timedelta(hours=1)
    ledger_order(1, now - timedelta(seconds=30), [(1, "A-1", 1, "1.00", False)])
    files = advanced_csv_write(now=now)
    assert [record.entity for record in files] == ["warehouse"]
    (sales,) = advanced_csv_write(now=now + timedelta(minutes=5))
    assert sales.rows == 1


def test_a_failed_write_leaves_no_file_no_partial_and_no_record(drop, monkeypatch):
    ledger_order(1, T0, [(1, "A-1", 1, "1.00", False)])

    def broken_replace(source, target):
        raise OSError("disk full")

    monkeypatch.setattr(advanced_csv.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        advanced_csv_write(now=T0 + timedelta(hours=1))

    assert files_in(drop) == []
    assert not list((drop / ".staging").iterdir())
    assert AdvancedCsvFile.objects.count() == 0


def test_the_file_appears_complete_under_its_name_or_not_at_all(drop, monkeypatch):
    """While rows are being written, the entity folder holds nothing a reader could take."""
    ledger_order(1, T0, [(1, "A-1", 1, "1.00", False)])
    seen = []
    real_fsync = os.fsync

    def watching_fsync(descriptor):
        seen.append(files_in(drop))
        real_fsync(descriptor)

    monkeypatch.setattr(advanced_csv.os, "fsync", watching_fsync)
    advanced_csv_write(now=T0 + timedelta(hours=1))

    assert seen == [[], ["warehouse/warehouse_20261120T103000000000Z.csv"]]


def test_variant_files_only_when_configured_and_stock_only_when_it_moved(drop, settings):
    mapping("A-1", size_id=11, variant_id="v-A-1", ean="735")
    mapping("B-2", size_id=12, variant_id="v-B-2")
    StockPosition.objects.create(sku="A-1", centra_warehouse_id=1, ats=4)
    assert [r.entity for r in advanced_csv_write(now=T0 + timedelta(days=1))] == ["warehouse"]
    assert not (drop / "variant").exists()

    settings.IP_ADVANCED_CSV_VARIANTS = True
    variant, stock = advanced_csv_write(now=T0 + timedelta(days=1, hours=1))
    assert read(drop, variant) == [
        "VARIANT_ID,SKU,TITLE,BARCODE,PRODUCT_ID,PRICE,CREATED_AT,UPDATED_AT,REMOVED",
        "v-A-1,A-1,A-1,735,11,0.00,2026-03-28 14:00:00,2026-03-28 14:00:00,false",
        "v-B-2,B-2,B-2,,12,0.00,2026-03-28 14:00:00,2026-03-28 14:00:00,false",
    ]
    assert read(drop, stock) == [
        "VARIANT_ID,WAREHOUSE_ID,IN_STOCK,REMOVED,UPDATED_AT",
        "v-A-1,centra,4,false,2026-11-21 10:30:00",
        "v-B-2,centra,0,false,2026-11-21 10:30:00",
    ]
    assert dict(AdvancedCsvStock.objects.values_list("variant_id", "in_stock")) == {
        "v-A-1": 4,
        "v-B-2": 0,
    }

    assert advanced_csv_write(now=T0 + timedelta(days=1, hours=2)) == []

    SkuMapping.objects.filter(sku="B-2").update(
        sku="B-2b", updated_at=T0 + timedelta(days=1, hours=2, minutes=30)
    )
    StockPosition.objects.filter(sku="A-1").update(ats=2)
    variant, stock = advanced_csv_write(now=T0 + timedelta(days=1, hours=3))
    assert read(drop, variant)[1:] == [
        "v-B-2,B-2b,B-2b,,12,0.00,2026-03-28 14:00:00,2026-11-21 12:00:00,false"
    ]
    assert read(drop, stock)[1:] == ["v-A-1,centra,2,false,2026-11-21 12:30:00"]


def test_the_command_and_the_task_say_what_they_wrote(drop, capsys):
    ledger_order(1, T0, [(1, "A-1", 1, "1.00", False)])
    call_command("advanced_csv")
    out = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0].split("/")[0] for line in out] == ["warehouse", "sales_order"]
    assert out[1].endswith(
        ": 1 rows, " + str(AdvancedCsvFile.objects.get(entity="sales_order").bytes) + " bytes"
    )
    call_command("advanced_csv")
    assert capsys.readouterr().out == "nothing new or changed: no file written\n"
    ledger_order(2, T0, [(2, "A-1", 1, "1.00", False)])
    SalesFeedRow.objects.filter(source_ref="2").update(changed_at=datetime.now(UTC))
    assert write_advanced_csv() == "nothing new or changed: no file written"  # in the margin
