"""The inherent-risk deduction table (安全风险评估诊断分级指南, domain.md §2.2) as data and arithmetic.

Start from 100; each category's deductions stop at its cap (扣完为止), bonuses add; the score is kept
within 0–100. ≥ 90 blue, 75–90 yellow, 60–75 orange, < 60 red; any one-vote-red condition (一票否决)
makes the grade red whatever the score. The table is ``fixtures/risk/hazchem_guide.json``.
"""

from __future__ import annotations

import json
import math
from functools import cache

from django.conf import settings


@cache
def table() -> dict:
    with open(settings.BASE_DIR / "fixtures" / "risk" / "hazchem_guide.json", encoding="utf-8") as handle:
        return json.load(handle)


def items_by_code() -> dict[str, tuple[dict, dict]]:
    return {item["code"]: (category, item) for category in table()["categories"] for item in category["items"]}


def check(items: dict, vetoes: list) -> dict[str, list[str]]:
    """Field errors of an assessment's input (empty when it is usable)."""
    errors: dict[str, list[str]] = {}
    known = items_by_code()
    if not isinstance(items, dict):
        return {"items": ["must map item codes to counts"]}
    for code, count in items.items():
        if code not in known:
            errors.setdefault(f"items.{code}", []).append("unknown item")
        elif isinstance(count, bool) or not isinstance(count, int | float) or not math.isfinite(count) or count < 0:
            errors.setdefault(f"items.{code}", []).append("must be a number ≥ 0")
    veto_codes = {v["code"] for v in table()["vetoes"]}
    if not isinstance(vetoes, list) or any(v not in veto_codes for v in vetoes):
        errors["vetoes"] = [f"must be a list of: {', '.join(sorted(veto_codes))}"]
    return errors


def grade(items: dict, vetoes: list) -> tuple[dict, float, int]:
    """(points per category after caps, score, level) of a checked input."""
    known = items_by_code()
    deducted: dict[str, float] = {}
    added: dict[str, float] = {}
    for code, count in items.items():
        category, item = known[code]
        points = item["points"] * count
        bucket = deducted if points < 0 else added
        bucket[category["code"]] = bucket.get(category["code"], 0) + points
    categories = {}
    for category in table()["categories"]:
        code = category["code"]
        total = max(-category["cap"], deducted.get(code, 0)) + added.get(code, 0)
        if total:
            categories[code] = round(total, 2)
    score = round(max(0.0, min(100.0, 100 + sum(categories.values()))), 2)
    level = next(level for minimum, level in table()["levels"] if score >= minimum)
    return categories, score, (1 if vetoes else level)


def hazard_items(level: int | None) -> dict:
    """The 重大危险源 item for the enterprise's highest registered level (only the highest counts)."""
    return {f"hazard_level_{level}": 1} if level else {}
