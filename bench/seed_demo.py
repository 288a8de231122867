"""Time the demo-province build (issue: under 30 s, idempotent). Prints JSON.

Runs against the development database (config.settings.local); run `make setup` first.
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
build_demo_province()
second_s = time.perf_counter() - started
print(
    json.dumps(
        {
            "benchmark": "seed_demo",
            "reference_data_s": round(reference_s, 2),
            "demo_build_s": round(first_s, 2),
            "demo_rebuild_s": round(second_s, 2),
            "enterprises": first.get("enterprises"),
        },
        ensure_ascii=False,
    )
)
