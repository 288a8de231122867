from django.conf import settings
from django.core.management.base import BaseCommand

from apps.monitoring.mqtt_bridge import Bridge


class Command(BaseCommand):
    help = "Bridge gateway readings from the MQTT broker into the ingestion pipeline (contract §2)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=settings.ANQUAN_MQTT_HOST)
        parser.add_argument("--port", type=int, default=settings.ANQUAN_MQTT_PORT)
        parser.add_argument("--client-id", default="anquan-bridge")

    def handle(self, *args, **options):
        self.stdout.write(f"MQTT bridge on {options['host']}:{options['port']}")
        Bridge(
            options["host"],
            options["port"],
            options["client_id"],
            settings.ANQUAN_MQTT_USERNAME or None,
            settings.ANQUAN_MQTT_PASSWORD or None,
        ).run_forever()
