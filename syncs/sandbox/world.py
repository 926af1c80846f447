"""The demo world: one generated catalog on both twins, and a business that keeps moving.

``World.populate()`` builds the same catalog on the Centra twin (products → variants →
sizes, SKU = product number + variant number + size number, as Centra composes it) and
the Inventory Planner twin (one variant per SKU, stock per warehouse, planning fields),
with deliberate mismatches so the exception desk has something to show:

- a few Centra products have no IP variants at all (SKUs missing in IP);
- a few IP variants with stock have no Centra size (SKU missing in Centra);
- a few SKUs differ only in case or spaces, with the same EAN/barcode (a suggested match).

``World.tick()`` moves the business on by one step: new orders (a flash-sale burst in the
first minutes of every hour), full and line cancellations, shipments (the warehouse ships
and IP's on-hand falls as its WMS feed would report), returns, and replenishment arrivals
on the IP side. Everything is drawn from one seeded RNG, so a seed gives the same world.
"""

import random
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

COLOURS = ["BLK", "WHT", "NVY", "OLV", "SND", "RED", "GRY", "BLU"]
SIZES = [("XS", "01"), ("S", "02"), ("M", "03"), ("L", "04"), ("XL", "05"), ("XXL", "06")]
GARMENTS = ["Tee", "Hoodie", "Overshirt", "Chino", "Jacket", "Knit", "Shorts", "Parka", "Cap"]
IP_WAREHOUSE = "c1_csv.main"
CENTRA_WAREHOUSE = "Main Warehouse"


@dataclass
class WorldConfig:
    seed: int = 42
    products: int = 400  # about 2 variants x 4 sizes each: ~2,900 SKUs
    missing_in_ip: int = 6  # products
    missing_in_centra: int = 8
    near_duplicates: int = 4
    orders_per_tick: float = 3.0
    flash_sale_minutes: int = 5  # the first minutes of every hour sell ten times faster
    cancel_rate: float = 0.04
    line_cancel_rate: float = 0.03
    return_rate: float = 0.08


@dataclass
class WorldStats:
    skus_centra: int = 0
    skus_ip: int = 0
    orders: int = 0
    cancellations: int = 0
    line_cancellations: int = 0
    shipments: int = 0
    returns: int = 0
    replenishments: int = 0
    notes: deque = field(default_factory=lambda: deque(maxlen=50))  # the latest few


class World:
    def __init__(self, centra, inventory_planner, config: WorldConfig | None = None):
        self.centra = centra.state  # the Centra twin's seeding API
        self.ip = inventory_planner  # the IP twin is its own seeding API
        self.config = config or WorldConfig()
        self.rng = random.Random(self.config.seed)
        self.stats = WorldStats()
        self.sellable: list[str] = []  # SKUs on both sides, the ones customers can buy
        self.prices: dict[str, Decimal] = {}
        self.velocity: dict[str, float] = {}
        self._open_orders: list[int] = []
        self._shipments: list[int] = []

    # -- the catalog ---------------------------------------------------------------------
    def populate(self) -> WorldStats:
        warehouse = self.centra.add_warehouse(CENTRA_WAREHOUSE)
        self.ip.add_warehouse(IP_WAREHOUSE, "Main warehouse (CSV)")
        self._centra_warehouse_id = warehouse.id
        rows = list(self._catalog_rows())
        only_centra = set(self.rng.sample(range(len(rows)), self.config.missing_in_ip))
        for index, (product_number, name, variants) in enumerate(rows):
            self.centra.add_product(product_number, name, variants=variants)
            garment = name.split()[0]  # IP's product type: "Tee", "Parka", ...
            for variant_number, sizes in variants.items():
                for _size, size_number, ean in sizes:
                    sku = f"{product_number}{variant_number}{size_number}"
                    self._stock_both_sides(
                        sku, ean, ip=index not in only_centra, index=index, product_type=garment
                    )
        self._add_ip_only_variants()
        self._add_near_duplicates()
        return self.stats

    def _catalog_rows(self):
        for number in range(1, self.config.products + 1):
            garment = self.rng.choice(GARMENTS)
            colours = self.rng.sample(COLOURS, self.rng.choice([1, 2, 2, 3]))
            first, last = sorted(self.rng.sample(range(len(SIZES)), 2))
            sizes = SIZES[first : max(last + 1, first + 3)]
            product_number = f"P{number:05d}"
            variants = {
                f"-{colour}-": [
                    (size_name, size_number, self._ean(number, c, s))
                    for s, (size_name, size_number) in enumerate(sizes)
                ]
                for c, colour in enumerate(colours)
            }
            yield product_number, f"{garment} {number}", variants

    def _ean(self, product: int, colour: int, size: int) -> str:
        body = f"73{product:06d}{colour:02d}{size:02d}"
        checksum = (10 - sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body)) % 10) % 10
        return body + str(checksum)

    def _stock_both_sides(
        self, sku: str, ean: str, *, ip: bool, index: int, product_type: str
    ) -> None:
        on_hand = self.rng.choice([0, 0, 2, 5, 8, 12, 20, 35, 60])
        velocity = round(self.rng.uniform(0.0, 3.0) if index % 10 else self.rng.uniform(3, 12), 2)
        self.prices[sku] = Decimal(self.rng.choice(["29.00", "49.00", "79.00", "129.00"]))
        self.velocity[sku] = velocity
        # Centra shows what an earlier push left there: mostly right, sometimes drifted.
        shown = max(0, on_hand - self.rng.choice([0, 0, 0, 0, 1, 2]))
        self.centra.set_stock(sku, self._centra_warehouse_id, shown)
        self.stats.skus_centra += 1
        if not ip:
            return
        self.ip.add_variant(
            sku,
            barcode=ean,
            stock={IP_WAREHOUSE: on_hand},
            minimum_stock=self.rng.choice([0, 0, 1, 2]),
            velocity=velocity,
            price=float(self.prices[sku]),
            product_type=product_type,
        )
        self.stats.skus_ip += 1
        self.sellable.append(sku)

    def _add_ip_only_variants(self) -> None:
        for n in range(self.config.missing_in_centra):
            self.ip.add_variant(
                f"NEW{n:03d}-STD-00",
                barcode=self._ean(900_000 + n, 0, 0),
                stock={IP_WAREHOUSE: self.rng.randint(5, 40)},
                velocity=0.5,
            )
            self.stats.skus_ip += 1

    def _add_near_duplicates(self) -> None:
        """IP variants whose SKU differs from Centra's only in case or spaces, same EAN."""
        candidates = [sku for sku in self.sellable if self.ip.variant(sku)["barcode"]]
        for sku in self.rng.sample(candidates, self.config.near_duplicates):
            record = self.ip.variant(sku)
            self.ip.set_removed(sku)  # the old record is retired in IP...
            self.ip.add_variant(  # ...and re-created with a typo'd SKU but the same barcode
                f" {sku.lower()}",
                barcode=record["barcode"],
                stock={IP_WAREHOUSE: self.ip.in_stock(sku, IP_WAREHOUSE)},
            )
            self.sellable.remove(sku)
            self.stats.skus_ip += 1
            self.stats.notes.append(f"near duplicate: Centra {sku!r} vs IP {' ' + sku.lower()!r}")

    # -- the business moving on ----------------------------------------------------------
    def tick(self, now: datetime | None = None) -> WorldStats:
        now = now or datetime.now()
        rate = self.config.orders_per_tick
        if now.minute < self.config.flash_sale_minutes:
            rate *= 10
        for _ in range(self._poisson(rate)):
            self._place_order()
        self._cancel_some()
        self._ship_some()
        self._return_some()
        self._replenish_some()
        return self.stats

    def _poisson(self, rate: float) -> int:
        count, threshold, product = 0, pow(2.718281828, -rate), self.rng.random()
        while product > threshold:
            count += 1
            product *= self.rng.random()
        return count

    def _place_order(self) -> None:
        lines = []
        for sku in self.rng.sample(self.sellable, self.rng.choice([1, 1, 1, 2, 3])):
            lines.append((sku, self.rng.choice([1, 1, 1, 2]), self.prices[sku]))
        order = self.centra.place_order(lines, **self._market_of(self.stats.orders))
        self._open_orders.append(order.number)
        self.stats.orders += 1

    # Half the orders sell in Europe (EUR), then the Nordics (SEK), the US (USD) and the UK
    # (GBP); every tenth is wholesale (EUR). Drawn from the order count, not the RNG, so a
    # seed's world is the same as before markets existed.
    MARKET_CYCLE = ("EUR", "SEK", "EUR", "USD", "EUR", "SEK", "EUR", "GBP", "EUR", "WHOLESALE")

    def _market_of(self, count: int) -> dict:
        pick = self.MARKET_CYCLE[count % len(self.MARKET_CYCLE)]
        if pick == "WHOLESALE":
            return {"store_type": "WHOLESALE", "currency": "EUR"}
        return {"currency": pick}

    def _cancel_some(self) -> None:
        for number in list(self._open_orders[-20:]):
            draw = self.rng.random()
            try:
                if draw < self.config.cancel_rate:
                    self.centra.cancel_order(number)
                    self._open_orders.remove(number)
                    self.stats.cancellations += 1
                elif draw < self.config.cancel_rate + self.config.line_cancel_rate:
                    line = self.centra.order(number).all_lines[0]
                    if line.quantity > 0:
                        self.centra.cancel_line(number, line.id, 1)
                        self.stats.line_cancellations += 1
            except ValueError as error:  # e.g. already shipped: the twin refuses, as Centra
                self.stats.notes.append(str(error))

    def _ship_some(self) -> None:
        """Orders older than a few ticks ship; IP's on-hand falls as its WMS would report."""
        ready, self._open_orders = self._open_orders[:-15], self._open_orders[-15:]
        for number in ready:
            try:
                shipment = self.centra.ship(number)
            except ValueError as error:
                self.stats.notes.append(str(error))
                continue
            for line in shipment.lines:
                sku = line.orderLine.productSize.SKU
                if sku in self.sellable:
                    self.ip.adjust_stock(sku, IP_WAREHOUSE, -line.quantity)
            self._shipments.append(shipment.id)
            self.stats.shipments += 1

    def _return_some(self) -> None:
        for shipment_id in list(self._shipments[-30:]):
            if self.rng.random() < self.config.return_rate / 10:
                try:
                    self.centra.create_return(
                        shipment_id,
                        release_to_stock=False,
                        shipping_cost="4.95" if shipment_id % 4 == 0 else 0,  # every 4th
                    )
                except ValueError as error:
                    self.stats.notes.append(str(error))
                    continue
                self._shipments.remove(shipment_id)
                self.stats.returns += 1

    def _replenish_some(self) -> None:
        for sku in self.rng.sample(self.sellable, min(3, len(self.sellable))):
            if self.ip.in_stock(sku, IP_WAREHOUSE) < 3 and self.rng.random() < 0.3:
                self.ip.adjust_stock(sku, IP_WAREHOUSE, self.rng.choice([12, 24, 48]))
                self.stats.replenishments += 1
