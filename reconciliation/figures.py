"""The figures the computation keeps per day and per order, and the slices finance filters
by: one vocabulary for the computed tables, the close and the tests."""

from django.db.models import DecimalField

MONEY = DecimalField(max_digits=18, decimal_places=2)
RATE = DecimalField(max_digits=18, decimal_places=8)

# Both sides in units and in the order's currency, as the ledger has them.
LEDGER_FIGURES = (
    "c_units_ordered",
    "c_units_cancelled",
    "c_units_returned",
    "c_gross",
    "c_cancelled_value",
    "c_returned_value",
    "h_units_published",
    "h_units_taken",
    "h_units_released",
    "h_units_returned_published",
    "h_units_returned",
    "h_value_taken",
    "h_returned_value",
)
# Converted when computed (each order's rate), and how many returned units are valued at
# units x price (Centra's own figure not known).
FIGURES = (
    *LEDGER_FIGURES,
    "c_gross_base",
    "c_net_base",
    "h_net_base",
    "c_units_returned_estimated",
)
# Only per day: the returns flow's own lines, dated by Centra's return date.
RETURN_FIGURES = ("r_units_returned", "r_units_qc_passed", "r_units_stocked_in")
DAY_FIGURES = FIGURES + RETURN_FIGURES

MONEY_FIGURES = {
    "c_gross",
    "c_cancelled_value",
    "c_returned_value",
    "h_value_taken",
    "h_returned_value",
    "c_gross_base",
    "c_net_base",
    "h_net_base",
}
# The slices finance filters by, on every computed table.
SLICES = ("currency", "channel", "market", "store")
