import threading

from django.conf import settings
from django.core.management.base import BaseCommand

from syncs.sandbox.sandbox import sandbox_build
from syncs.sandbox.world import WorldConfig
from syncs.soak.twins import SoakFaults, SoakTwins, soak_server


class Command(BaseCommand):
    help = "Serve the sandbox twins for the soak: faults per call, ground truth at /soak/state."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, required=True)
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--products", type=int, default=60)
        parser.add_argument("--tick", type=float, default=2.0, help="seconds between steps")
        parser.add_argument("--fault-rate", type=float, default=0.2)
        parser.add_argument(
            "--return-rate", type=float, default=0.5, help="returns come often: stock-ins to test"
        )
        parser.add_argument(
            "--hang", type=float, default=6.0, help="seconds a 'timeout' holds the call"
        )

    def handle(self, *args, **options):
        sandbox = sandbox_build(
            config=WorldConfig(
                seed=options["seed"],
                products=options["products"],
                return_rate=options["return_rate"],
            )
        )
        sandbox.centra.config.throttle = False  # the soak injects its own 429 bursts
        faults = SoakFaults(
            rate=options["fault_rate"], seed=options["seed"], hang_seconds=options["hang"]
        )
        twins = SoakTwins(sandbox, faults)
        server = soak_server(
            twins, host=options["host"], port=options["port"], secret_key=settings.SECRET_KEY
        )
        self.stdout.write(f"soak twins on http://{options['host']}:{options['port']}/", ending="\n")
        self.stdout.flush()
        stop = threading.Event()
        threading.Thread(
            target=self._tick, args=(twins, options["tick"], stop), daemon=True
        ).start()
        try:
            server.serve_forever()
        finally:
            stop.set()
            server.server_close()

    @staticmethod
    def _tick(twins, seconds, stop) -> None:
        while not stop.wait(seconds):
            twins.tick()
