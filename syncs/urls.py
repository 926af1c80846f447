from django.urls import path

from syncs.views import catalog, config, orders, runs, sandbox, stock

app_name = "syncs"
urlpatterns = [
    path("", runs.index, name="index"),
    path("sandbox/", sandbox.control, name="sandbox"),
    path("check-apis/", runs.check_apis, name="check_apis"),
    path("catalog/", catalog.workbench, name="catalog"),
    path("catalog/map/", catalog.mapping_create, name="catalog_map"),
    path("catalog/import/", catalog.mappings_import, name="catalog_import"),
    path("catalog/sku/<path:sku>/", catalog.sku_detail, name="sku"),
    path("orders/", orders.ledger, name="orders"),
    path("orders/feed/", orders.feed_deliveries, name="feed_deliveries"),
    path("orders/<int:number>/", orders.order_detail, name="order"),
    path("runs/<slug:stream>/", runs.stream_runs, name="stream_runs"),
    path("stock/", stock.index, name="stock"),
    path("stock/dry-run/", stock.dry_run, name="stock_dry_run"),
    path("stock/pushes/<int:pk>/", stock.push_detail, name="stock_push"),
    path("stock/pushes/<int:pk>/release/", stock.push_release, name="stock_push_release"),
    path("stock/pushes/<int:pk>/discard/", stock.push_discard, name="stock_push_discard"),
    path("stock/sku/<path:sku>/", stock.sku_explain, name="stock_sku"),
    path("config/export/", config.export, name="config_export"),
    path("config/import/", config.import_file, name="config_import"),
    path("config/settings/", config.settings_edit, name="config_settings"),
    path("config/statuses/import/", config.status_import, name="config_status_import"),
    path("config/statuses/balance/", config.balance_set, name="config_balance"),
    path("config/<slug:area>/new/", config.edit, name="config_new"),
    path("config/<slug:area>/<int:pk>/", config.edit, name="config_edit"),
    path("config/<slug:area>/<int:pk>/delete/", config.delete, name="config_delete"),
]
