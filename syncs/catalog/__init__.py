"""The catalog stream: both catalogs compared into the SKU map (``syncs.models.SkuMapping``)."""
