import threading
import time
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.urls import reverse

from syncs.sandbox.sandbox import sandbox_build
from syncs.sandbox.server import make_sandbox_server
from syncs.sandbox.story import Story
from syncs.sandbox.world import WorldConfig
from syncs.views.feeds import feed_credentials


class Command(BaseCommand):
    help = "Serve the sandbox twins of Centra and Inventory Planner with a live demo world."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=settings.LOCAL_URLS.sandbox_port)
        parser.add_argument("--seed", type=int, default=42, help="the same seed, the same world")
        parser.add_argument("--products", type=int, default=WorldConfig.products)
        parser.add_argument(
            "--tick", type=float, default=10.0, help="seconds between business steps (0: frozen)"
        )
        parser.add_argument(
            "--feed-url",
            default=None,
            help="the hub's sales-order file, fetched by the IP twin as IP's CSV connection does "
            "(default: the feed on the local app at PORT)",
        )
        parser.add_argument(
            "--no-story",
            action="store_true",
            help="no scripted story: only the generated world (docs/sandbox.md)",
        )
        parser.add_argument(
            "--feed-every", type=float, default=60.0, help="seconds between feed fetches (0: never)"
        )

    def handle(self, *args, **options):
        config = WorldConfig(seed=options["seed"], products=options["products"])
        sandbox = sandbox_build(config=config)
        stats = sandbox.world.stats
        server = make_sandbox_server(
            sandbox.routes(secret_key=settings.SECRET_KEY),
            host=options["host"],
            port=options["port"],
        )
        base = f"http://{options['host']}:{server.server_address[1]}"
        self.stdout.write(
            f"sandbox: {stats.skus_centra} Centra sizes, {stats.skus_ip} IP variants; "
            f"Centra at {base}/graphql, Inventory Planner at {base}/api/v1"
        )
        stop = threading.Event()
        story = None if options["no_story"] else Story(sandbox)
        if story is not None:
            self._tell(story.advance(timedelta(0)))
        if options["tick"] > 0:
            threading.Thread(
                target=self._keep_ticking,
                args=(sandbox.world, story, options["tick"], stop),
                daemon=True,
            ).start()
        if options["feed_every"] > 0:
            feed_url = options["feed_url"] or settings.LOCAL_URLS.on_app(
                reverse("feeds:ip_sales_orders")
            )
            self._feed_configure(sandbox.inventory_planner, feed_url)
            threading.Thread(
                target=self._keep_fetching,
                args=(sandbox.inventory_planner, options["feed_every"], stop),
                daemon=True,
            ).start()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            stop.set()
            server.server_close()

    def _feed_configure(self, twin, url: str) -> None:
        """The twin uses the hub's feed credentials; in DEBUG with no password set, the
        documented sandbox password (``syncs.views.feeds.SANDBOX_FEED_PASSWORD``)."""

        credentials = feed_credentials()
        if credentials is None:
            self.stderr.write("IP twin: no feed password (set IP_FEED_PASSWORD); not fetching")
            return
        username, password = credentials
        twin.configure_sales_feed(url, username=username, password=password)
        self.stdout.write(f"IP twin fetches {url} as {username!r}")

    @staticmethod
    def _keep_fetching(twin, seconds: float, stop: threading.Event) -> None:
        """IP's CSV connection pulls on its own schedule (not while the story pauses it); a
        failed fetch is only logged by the twin (its receipts), as IP would show a sync error."""
        while not stop.wait(seconds):
            if twin.sales_feed_paused:
                continue
            try:
                twin.fetch_sales_feed()
            except RuntimeError:  # not configured: nothing to fetch
                return

    def _keep_ticking(self, world, story, seconds: float, stop: threading.Event) -> None:
        started = time.monotonic()
        while not stop.wait(seconds):
            if story is not None:
                self._tell(story.advance(timedelta(seconds=time.monotonic() - started)))
            world.tick()

    def _tell(self, said: list[str]) -> None:
        for line in said:
            self.stdout.write(f"sandbox story: {line}")
