"""The syncs app's screens, one module per room (runs, catalog, orders, stock, config)."""
