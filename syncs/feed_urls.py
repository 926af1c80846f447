"""Feeds for Inventory Planner's connector, mounted at ``/feeds/`` (outside the login)."""

from django.urls import path

from syncs.views import feeds

app_name = "feeds"
urlpatterns = [
    path(
        "inventory-planner/sales-orders.csv",
        feeds.sales_orders_csv,
        name="ip_sales_orders",
    ),
    path("inventory-planner/products.csv", feeds.products_csv_view, name="ip_products"),
]
