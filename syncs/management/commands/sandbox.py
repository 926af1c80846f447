import threading

from django.conf import settings
from django.core.management.base import BaseCommand

from syncs.sandbox.sandbox import sandbox_build
from syncs.sandbox.server import make_sandbox_server
from syncs.sandbox.world import WorldConfig


class Command(BaseCommand):
    help = "Serve the sandbox twins of Centra and Inventory Planner with a live demo world."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8001)
        parser.add_argument("--seed", type=int, default=42, help="the same seed, the same world")
        parser.add_argument("--products", type=int, default=WorldConfig.products)
        parser.add_argument(
            "--tick", type=float, default=10.0, help="seconds between business steps (0: frozen)"
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
        if options["tick"] > 0:
            threading.Thread(
                target=self._keep_ticking, args=(sandbox.world, options["tick"], stop), daemon=True
            ).start()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            stop.set()
            server.server_close()

    @staticmethod
    def _keep_ticking(world, seconds: float, stop: threading.Event) -> None:
        while not stop.wait(seconds):
            world.tick()
