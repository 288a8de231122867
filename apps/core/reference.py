"""Reference data (code tables) kept as JSON fixtures and upserted by their natural key."""

import json

from django.db import transaction


@transaction.atomic
def upsert_fixture(model, path, key="code") -> int:
    """Create or update ``model`` rows from a Django-style fixture file, matched on ``key``."""
    with open(path, encoding="utf-8") as handle:
        rows = json.load(handle)
    for row in rows:
        fields = dict(row["fields"])
        model.objects.update_or_create(**{key: fields.pop(key)}, defaults=fields)
    return len(rows)


def load_all(stdout=None) -> None:
    """Call ``load_reference_data()`` on every app that has one, lower apps first."""
    from django.apps import apps

    for config in apps.get_app_configs():
        loader = getattr(config, "load_reference_data", None)
        if loader is not None:
            result = loader()
            if stdout is not None:
                stdout.write(f"{config.label}: {result}")
