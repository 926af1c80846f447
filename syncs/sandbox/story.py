"""The demo's scripted story: within ten minutes of ``make run``, every team has real work.

The generated world (``world.py``) keeps the business moving; the story adds what goes
wrong in a normal week, compressed into the first minutes after the sandbox starts, so a
newcomer sees the exception desk at work for every team. Each ``Beat`` happens once, at
its minute, and changes only the twins (their data, their fault plans, IP's feed
fetching): the hub finds every problem through its own scheduled runs, exactly as it
would against the real systems, and the problems that clear up clear its tickets again.

The story as people read it, minute by minute, is in docs/sandbox.md ("The scripted
story"); ``tests/syncs/sandbox/test_story.py`` plays it in simulated time against the
hub's schedules and checks every ticket type it promises, for its owning team.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from syncs.sandbox.centra.schema import FIELD_PERMISSIONS, PERMISSIONS
from syncs.sandbox.world import IP_WAREHOUSE

# What the hub needs set for the story to play in minutes rather than days: IP must take a
# cancellation within 3 minutes (26 hours by default). ``manage.py devstack`` sets these
# for the processes it starts when a system runs on its sandbox, unless already set.
STORY_SETTINGS = {"ORDERS_CANCELLATION_SLA_HOURS": "0.05"}

_MIN = timedelta(minutes=1)
EVENT_PERMISSIONS = frozenset({"Event:read", "Event:write"})


@dataclass(frozen=True)
class Beat:
    at: timedelta  # since the sandbox started
    says: str  # what happens, as the story tells it (logged when it happens)
    act: Callable[["Story"], None]


@dataclass
class Story:
    """The beats applied to one sandbox; ``advance(elapsed)`` plays the ones now due."""

    sandbox: object  # syncs.sandbox.sandbox.Sandbox
    beats: tuple[Beat, ...] = ()
    played: list[str] = field(default_factory=list)
    picked: dict = field(default_factory=dict)  # what the beats chose, for later beats

    def __post_init__(self):
        self.beats = self.beats or STORY
        self.rng = random.Random(self.sandbox.world.config.seed)

    @property
    def centra(self):
        return self.sandbox.world.centra  # the Centra twin's state

    @property
    def ip(self):
        return self.sandbox.inventory_planner

    def advance(self, elapsed: timedelta) -> list[str]:
        """Play every beat due by ``elapsed`` that has not been played; what they said."""
        said = []
        while len(self.played) < len(self.beats) and self.beats[len(self.played)].at <= elapsed:
            beat = self.beats[len(self.played)]
            beat.act(self)
            self.played.append(beat.says)
            said.append(beat.says)
        return said

    # -- helpers for the beats -------------------------------------------------------------
    def sellable(self, count: int, key: str, *, in_stock: bool = False) -> list[str]:
        """``count`` SKUs sold on both sides (with Centra stock, if asked), the same for a
        seed, never one an earlier beat chose; remembered under ``key``."""
        taken = {sku for skus in self.picked.values() if isinstance(skus, list) for sku in skus}
        warehouse = min(self.centra.warehouses)

        def stocked(sku):
            return self.centra.level(self.centra.size(sku), warehouse).physicalQuantity > 0

        choices = sorted(
            sku
            for sku in self.sandbox.world.sellable
            if sku not in taken and (not in_stock or stocked(sku))
        )
        self.picked[key] = self.rng.sample(choices, count)
        return self.picked[key]


# -- the beats -------------------------------------------------------------------------------
def plant_size_without_sku(story: Story) -> None:
    """A size added in Centra's admin without a SKU: e-commerce's catalog ticket."""
    product = story.centra.products[min(story.centra.products)]
    variant = product.variants[0]
    size = story.centra.add_size(variant, "ONE", "99", ean="", sku=None)
    story.picked["size_without_sku"] = size.id


def plant_unreadable_stock(story: Story) -> None:
    """IP answers a SKU's warehouse block without ``in_stock``: operations' ticket."""
    (sku,) = story.sellable(1, "unreadable")
    story.picked["unreadable_was"] = story.ip.in_stock(sku, IP_WAREHOUSE)
    story.ip.set_stock(sku, IP_WAREHOUSE, None)


def plant_overdue_returns(story: Story) -> None:
    """Two orders shipped three weeks ago whose returns were announced twenty days ago and
    never arrived: fulfilment's overdue returns (the warehouse finds one of them later)."""
    world = story.sandbox.world
    now = story.centra.wall()
    for days, sku in zip((20, 19), story.sellable(2, "overdue", in_stock=True), strict=True):
        order = story.centra.place_order(
            [(sku, 1, world.prices[sku])], order_date=now - timedelta(days=days + 1)
        )
        shipment = story.centra.ship(order.number)
        returned = story.centra.create_return(shipment.id, release_to_stock=False)
        returned.createdAt = now - timedelta(days=days)


def ip_refuses_purchase_orders(story: Story) -> None:
    """IP made a field of purchase orders mandatory: returns stock orders are refused."""
    story.ip.purchase_orders_refused = "Validation failed: vendor is required"


def ip_accepts_purchase_orders(story: Story) -> None:
    story.ip.purchase_orders_refused = ""


def plant_late_imported_orders(story: Story) -> None:
    """Two orders from two days ago, imported into Centra late (from a marketplace): IP must
    take them from the feed before finance's reconciliation compares the day."""
    world = story.sandbox.world
    placed = []
    for sku in story.sellable(2, "imported", in_stock=True):
        order = story.centra.place_order(
            [(sku, 1, world.prices[sku])], order_date=story.centra.wall() - timedelta(days=2)
        )
        placed.append(order.number)
    story.picked["imported_orders"] = placed


def drop_event_permission(story: Story) -> None:
    """Someone re-created the Centra API token without the Event permission."""
    every = frozenset(PERMISSIONS.values()) | frozenset(FIELD_PERMISSIONS.values())
    story.sandbox.centra.config.permissions = every - EVENT_PERMISSIONS


def restore_event_permission(story: Story) -> None:
    story.sandbox.centra.config.permissions = None


def order_the_size_without_sku(story: Story) -> None:
    """A customer buys the size that has no SKU: the hub cannot store the order."""
    story.centra.place_order([(story.picked["size_without_sku"], 1, "49.00")])


def lock_stock(story: Story) -> None:
    """Two sizes locked in Centra's admin, and IP receives stock for them: the next push
    of their new figure is refused."""
    for sku in story.sellable(2, "locked"):
        story.centra.stock_locked.add(sku)
        story.ip.adjust_stock(sku, IP_WAREHOUSE, 24)


def unlock_stock(story: Story) -> None:
    story.centra.stock_locked.difference_update(story.picked["locked"])


def pause_ip_feed(story: Story) -> None:
    story.ip.sales_feed_paused = True


def resume_ip_feed(story: Story) -> None:
    story.ip.sales_feed_paused = False


def cancel_an_order(story: Story) -> None:
    """A customer cancels an order while IP is not fetching: the cancellation waits."""
    world = story.sandbox.world
    (sku,) = story.sellable(1, "cancelled", in_stock=True)
    order = story.centra.place_order([(sku, 1, world.prices[sku])])
    story.centra.cancel_order(order.number)
    story.picked["cancelled_order"] = order.number


def second_stock_writer(story: Story) -> None:
    """An old integration nobody switched off still writes stock to Centra for three SKUs,
    adding 15 units after every write: Centra shows more than the hub pushed (drift, an
    oversell risk). The first SKUs of the catalog, which the first read-back samples."""
    story.picked["second_writer"] = sorted(story.sandbox.world.sellable)[:3]
    for sku in story.picked["second_writer"]:
        story.centra.stock_added_after_write[sku] = 15


def both_throttle(story: Story) -> None:
    """Every second request to either system is answered 429: retries absorb it, the
    dashboard counts it, and the watchdog's throttling ticket opens."""
    for twin in (story.sandbox.centra, story.ip):
        twin.faults.update(throttle_every=2)


def throttling_stops(story: Story) -> None:
    for twin in (story.sandbox.centra, story.ip):
        twin.faults.update(throttle_every=0)


def slow_orders_query(story: Story) -> None:
    """Centra cannot answer the orders query in time (the other queries are fine)."""
    story.sandbox.centra.config.slow_root_fields = frozenset({"orders"})


def orders_query_fast_again(story: Story) -> None:
    story.sandbox.centra.config.slow_root_fields = frozenset()


def ip_token_expires(story: Story) -> None:
    story.ip.faults.update(expired_token=True)


def ip_token_renewed(story: Story) -> None:
    story.ip.faults.update(expired_token=False)


def centra_outage(story: Story) -> None:
    """Centra answers the next ten requests 503 (more than a call's retries)."""
    story.sandbox.centra.faults.update(fail_next=10, fail_next_kind="server_error")


def centra_cuts_answers(story: Story) -> None:
    """Centra's next two answers are cut off mid-way (a proxy dropping connections)."""
    story.sandbox.centra.faults.update(fail_next=2, fail_next_kind="malformed")


def unreadable_fixed(story: Story) -> None:
    (sku,) = story.picked["unreadable"]
    story.ip.set_stock(sku, IP_WAREHOUSE, story.picked["unreadable_was"])


STORY: tuple[Beat, ...] = (
    # before the hub's first runs: what a normal week has left lying around
    Beat(0 * _MIN, "Centra: a size was added without a SKU", plant_size_without_sku),
    Beat(0 * _MIN, "Centra: a customer orders the size without a SKU", order_the_size_without_sku),
    Beat(0 * _MIN, "IP: a SKU's stock figure is missing from its answers", plant_unreadable_stock),
    Beat(
        0 * _MIN, "Centra: two returns announced 20 days ago never arrived", plant_overdue_returns
    ),
    Beat(0 * _MIN, "Centra: two orders of two days ago imported late", plant_late_imported_orders),
    Beat(0 * _MIN, "Centra: a customer cancels an order", cancel_an_order),
    Beat(0 * _MIN, "IP: the CSV connection is paused (no feed fetches)", pause_ip_feed),
    Beat(0 * _MIN, "Centra: the API token lost its Event permission", drop_event_permission),
    Beat(0 * _MIN, "Centra: two sizes locked for stock changes; IP receives stock", lock_stock),
    Beat(0 * _MIN, "Centra: an old integration adds stock after our writes", second_stock_writer),
    Beat(0 * _MIN, "Both: every second request is answered 429", both_throttle),
    # then, minute by minute
    Beat(1.75 * _MIN, "Centra: the orders query stops answering in time", slow_orders_query),
    Beat(3.5 * _MIN, "Centra: the locked sizes are unlocked", unlock_stock),
    Beat(
        4 * _MIN,
        "IP: purchase orders are refused (a new mandatory field)",
        ip_refuses_purchase_orders,
    ),
    Beat(5.5 * _MIN, "Centra: the orders query answers in time again", orders_query_fast_again),
    Beat(5.5 * _MIN, "IP: the API key expired", ip_token_expires),
    Beat(6.5 * _MIN, "IP: the API key is renewed", ip_token_renewed),
    Beat(6.5 * _MIN, "IP: the CSV connection resumes fetching", resume_ip_feed),
    Beat(7 * _MIN, "IP: the missing stock figure is back", unreadable_fixed),
    Beat(7.75 * _MIN, "Centra: outage, the next ten requests answer 503", centra_outage),
    Beat(8.5 * _MIN, "Centra: the Event permission is back on the token", restore_event_permission),
    Beat(8.5 * _MIN, "Both: throttling stops", throttling_stops),
    Beat(9 * _MIN, "IP: purchase orders are accepted again", ip_accepts_purchase_orders),
    Beat(9.75 * _MIN, "Centra: the next two answers are cut off mid-way", centra_cuts_answers),
)

# What people in the hub do in the story, as (minute, what happens, the hub function that
# does it): played by ``manage.py devstack`` (the web process's side of ``make run``), never
# by the sandbox, which only changes the twins.
HUB_STORY: tuple[tuple[timedelta, str, str], ...] = (
    (
        4.5 * _MIN,
        "Warehouse: an overdue return arrives, is received and passes QC",
        "centra_ip.demo.demo_oldest_return_received",
    ),
)
