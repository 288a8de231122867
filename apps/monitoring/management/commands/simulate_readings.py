"""Sensor simulator (传感器数据模拟器): stream readings for the configured gateways through the real
ingestion paths. The logic lives in apps.monitoring.simulator; this is the shell around it."""

import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.monitoring import simulator


class Command(BaseCommand):
    help = (
        "Send realistic readings of every enabled gateway's points through the ingestion API (HTTP or MQTT), "
        "with injected excursions, stuck sensors, gateway outages and switch toggles. Runs until interrupted."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--rate",
            type=float,
            help="overall readings/s: a stable subset of points below the natural rate, faster periods above it "
            "(default: every point once per its period)",
        )
        parser.add_argument("--speedup", type=float, default=1.0, help="divide periods and fault durations by this")
        parser.add_argument("--enterprises", type=int, help="only the first K enterprises (by id) with a gateway")
        parser.add_argument("--duration", type=float, help="stop after this many seconds (default: until interrupted)")
        parser.add_argument("--transport", choices=["http", "mqtt"], default="http")
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="base URL of the platform (HTTP)")
        parser.add_argument("--mqtt-host", default=settings.ANQUAN_MQTT_HOST)
        parser.add_argument("--mqtt-port", type=int, default=settings.ANQUAN_MQTT_PORT)
        parser.add_argument("--seed", type=int, help="random seed, for a reproducible run")
        parser.add_argument(
            "--tick", type=float, default=5.0, help="seconds between a gateway's batches (each gateway: one request)"
        )
        parser.add_argument("--concurrency", type=int, default=4, help="HTTP requests in flight")
        parser.add_argument("--report-every", type=float, default=10.0, help="seconds between summary lines")
        parser.add_argument("--wait", type=float, default=120.0, help="seconds to wait for the server to come up")
        defaults = simulator.FaultConfig()
        parser.add_argument(
            "--excursion-rate",
            type=float,
            default=defaults.excursion_rate,
            help="excursions past a threshold per minute (plus one forced in the first seconds)",
        )
        parser.add_argument("--stuck-rate", type=float, default=defaults.stuck_rate, help="stuck sensors per minute")
        parser.add_argument(
            "--outage-rate", type=float, default=defaults.outage_rate, help="gateway outages per minute"
        )
        parser.add_argument(
            "--toggle-rate",
            type=float,
            default=defaults.toggle_rate,
            help="switches to their abnormal state per minute",
        )
        parser.add_argument("--no-faults", action="store_true", help="normal operation only")

    def handle(self, *args, **options):
        for name in ("speedup", "tick"):
            if options[name] <= 0:
                raise CommandError(f"--{name} must be positive.")
        if options["rate"] is not None and options["rate"] <= 0:
            raise CommandError("--rate must be positive.")
        fleet = simulator.load_fleet(enterprises=options["enterprises"])
        if not fleet.points:
            raise CommandError("No enabled gateway with points in use: run `manage.py seed_demo` first.")
        if options["no_faults"]:
            faults = simulator.FaultConfig.none()
        else:
            faults = simulator.FaultConfig(
                excursion_rate=options["excursion_rate"],
                stuck_rate=options["stuck_rate"],
                outage_rate=options["outage_rate"],
                toggle_rate=options["toggle_rate"],
                # no forced first excursion when excursions are switched off
                first_excursion_at=simulator.FaultConfig().first_excursion_at
                if options["excursion_rate"] > 0
                else None,
            )
        stop = threading.Event()
        if options["transport"] == "mqtt":
            transport = simulator.MqttTransport(options["mqtt_host"], options["mqtt_port"])
            where = f"mqtt://{options['mqtt_host']}:{options['mqtt_port']}"
        else:
            transport = simulator.HttpTransport(options["url"])
            where = options["url"]
        transport.stop = stop  # a signal also ends the wait for the server and any back-off
        sim = simulator.Simulator(
            fleet,
            transport,
            rate=options["rate"],
            speedup=options["speedup"],
            tick=options["tick"],
            seed=options["seed"],
            faults=faults,
            report=self._say,
            report_every=options["report_every"],
            concurrency=options["concurrency"],
        )
        previous = self._trap(stop)
        try:
            self._say(f"waiting for {where}")
            if not transport.wait_ready(options["wait"]):
                if stop.is_set():
                    return
                raise CommandError(f"{where} did not answer within {options['wait']:g} s.")
            sim.run(stop, options["duration"])
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def _say(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()  # the log file of `make run` should follow in real time

    @staticmethod
    def _trap(stop: threading.Event) -> dict:
        """SIGINT/SIGTERM end the run cleanly (final summary, connections closed)."""
        if threading.current_thread() is not threading.main_thread():
            return {}
        previous = {}
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, lambda *_: stop.set())
        return previous
