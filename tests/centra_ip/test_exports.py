import csv
import io

import pytest
from django.urls import reverse

from centra_ip.exports import csv_cell, csv_text
from exceptions.services import ticket_raise


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)", "\tx"])
def test_text_that_a_spreadsheet_would_run_gets_an_apostrophe(text):
    assert csv_text(text) == "'" + text


def test_ordinary_text_and_numbers_are_left_alone():
    assert csv_text("P00011-OLV-03") == "P00011-OLV-03"
    assert csv_cell(-5) == -5
    assert csv_cell(None) is None


def test_the_ticket_export_neutralises_a_formula_in_a_sku(client_for):
    ticket_raise(type_code="stock_push_rejected", source="test", sku="=cmd|' /C calc'!A0")
    response = client_for("ecommerce").get(reverse("exceptions:export"), {"team": ""})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [row["sku"] for row in rows] == ["'=cmd|' /C calc'!A0"]
    assert rows[0]["occurrences"] == "1"
