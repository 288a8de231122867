"""Time the demo-province build (issue: under 30 s, idempotent). Prints JSON.

Runs against the development database (config.settings.local); run `make setup` first. To time a build
from an empty database, point DATABASE_URL at a scratch one:

    psql -h 127.0.0.1 -U postgres -c "create database anquan_seed_bench"
    DATABASE_URL=postgis://postgres@127.0.0.1:5432/anquan_seed_bench .venv/bin/python manage.py migrate
    DATABASE_URL=postgis://postgres@127.0.0.1:5432/anquan_seed_bench .venv/bin/python bench/seed_demo.py
    psql -h 127.0.0.1 -U postgres -c "drop database anquan_seed_bench"
"""

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from apps.core.reference import load_all  # noqa: E402
from apps.portal.demo import build_demo_province  # noqa: E402

started = time.perf_counter()
load_all()
reference_s = time.perf_counter() - started
started = time.perf_counter()
first = build_demo_province()
first_s = time.perf_counter() - started
started = time.perf_counter()
second = build_demo_province()
second_s = time.perf_counter() - started
print(
    json.dumps(
        {
            "benchmark": "seed_demo",
            "reference_data_s": round(reference_s, 2),
            "demo_build_s": round(first_s, 2),
            "demo_rebuild_s": round(second_s, 2),
            "enterprises": first.get("enterprises"),
            "facilities": first.get("facilities"),
            "points": first.get("points"),
            "hazard_sources_by_level": first.get("hazard_sources"),
            "cameras": first.get("cameras"),
            "gateways": first.get("gateways"),
            "shutdowns": first.get("shutdowns"),
            "created_by_first_run": {k: v for k, v in first.get("created", {}).items() if v},
            "created_by_second_run": sum(second.get("created", {}).values()),
        },
        ensure_ascii=False,
    )
)
