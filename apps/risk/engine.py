"""The scoring engine (研判计算): a model definition and an enterprise's inputs → score, level and the
breakdown that explains them. Pure functions with no database, so a stored result can be reproduced
exactly from its inputs and version, and the model can be invoked as a compute service (RSK-08).

A definition is a tree of indicators. A leaf names a *source* (where its raw value comes from, see
``apps.risk.sources``) and a *scoring* that turns the raw value into an indicator score 0–100 (100 is
the riskiest). A group's score is the weighted mean of its children that have data; the total is the
weighted mean of the top level. An indicator without data is reported as such and its weight is
shared among its siblings — never counted as zero. Each leaf's contribution is its score times its
effective weight (the product of normalised weights down its path), so contributions add up to the
total. Thresholds map the score to a level; rules (一票否决 and the like) can force a level at least
as severe.

    {"thresholds": {"1": 60, "2": 40, "3": 20},
     "indicators": [{"code": "static", "name": "固有风险", "weight": 30, "children": [
         {"code": "static.guide", "name": "…", "weight": 60, "source": "static.guide_deduction",
          "params": {}, "scoring": {"type": "linear", "zero": 0, "full": 40}}]}],
     "rules": [{"code": "veto", "name": "一票否决", "indicator": "static.veto", "op": ">=",
                "value": 1, "level": 1}]}
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

LEVELS = (1, 2, 3, 4)
OPS = {
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
    "==": lambda a, b: a == b,
}
SCORING_TYPES = ("linear", "steps", "map")


class DefinitionError(ValueError):
    """A definition that cannot be used; ``errors`` maps a path in the definition to its messages."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in errors.items()))


# --- validation ---------------------------------------------------------------------------------


def validate(definition: dict, known_sources: set[str] | None = None) -> None:
    """Raise ``DefinitionError`` with every problem found (paths like ``indicators[2].weight``)."""
    errors: dict[str, list[str]] = {}

    def err(path, message):
        errors.setdefault(path, []).append(message)

    if not isinstance(definition, dict):
        raise DefinitionError({"definition": ["must be an object"]})
    thresholds = definition.get("thresholds")
    if not isinstance(thresholds, dict) or set(thresholds) != {"1", "2", "3"}:
        err("thresholds", "must give the lowest score of levels 1, 2 and 3")
    else:
        values = []
        for key in ("1", "2", "3"):
            value = thresholds[key]
            if not _number(value) or not 0 <= value <= 100:
                err(f"thresholds.{key}", "must be a number from 0 to 100")
            values.append(value)
        if all(_number(v) for v in values) and not values[0] > values[1] > values[2]:
            err("thresholds", "level 1 must need a higher score than level 2, and level 2 than level 3")
    codes: set[str] = set()
    indicators = definition.get("indicators")
    if not isinstance(indicators, list) or not indicators:
        err("indicators", "must be a non-empty list")
    else:
        _validate_nodes(indicators, "indicators", codes, known_sources, err)
    for i, rule in enumerate(definition.get("rules") or []):
        path = f"rules[{i}]"
        if not isinstance(rule, dict):
            err(path, "must be an object")
            continue
        if rule.get("indicator") not in codes:
            err(f"{path}.indicator", "must name an indicator of this model")
        if rule.get("op") not in OPS:
            err(f"{path}.op", f"must be one of {', '.join(OPS)}")
        if not _number(rule.get("value")):
            err(f"{path}.value", "must be a number")
        if rule.get("level") not in LEVELS:
            err(f"{path}.level", "must be 1, 2, 3 or 4")
        if not rule.get("code"):
            err(f"{path}.code", "is required")
    if errors:
        raise DefinitionError(errors)


def _validate_nodes(nodes, path, codes, known_sources, err):
    for i, node in enumerate(nodes):
        here = f"{path}[{i}]"
        if not isinstance(node, dict):
            err(here, "must be an object")
            continue
        code = node.get("code")
        if not code or not isinstance(code, str):
            err(f"{here}.code", "is required")
        elif code in codes:
            err(f"{here}.code", f"{code} is used twice")
        else:
            codes.add(code)
        if not node.get("name"):
            err(f"{here}.name", "is required")
        if not isinstance(node.get("advice", ""), str):
            err(f"{here}.advice", "must be text")
        weight = node.get("weight")
        if not _number(weight) or weight < 0:
            err(f"{here}.weight", "must be a number ≥ 0")
        children = node.get("children")
        if children is not None:
            if not isinstance(children, list) or not children:
                err(f"{here}.children", "must be a non-empty list")
            else:
                _validate_nodes(children, f"{here}.children", codes, known_sources, err)
            continue
        source = node.get("source")
        if not source:
            err(f"{here}.source", "a leaf indicator needs a source")
        elif known_sources is not None and source not in known_sources:
            err(f"{here}.source", f"unknown source {source}")
        if not isinstance(node.get("params", {}), dict):
            err(f"{here}.params", "must be an object")
        _validate_scoring(node.get("scoring"), f"{here}.scoring", err)


def _validate_scoring(scoring, path, err):
    if not isinstance(scoring, dict) or scoring.get("type") not in SCORING_TYPES:
        err(path, f"type must be one of {', '.join(SCORING_TYPES)}")
        return
    kind = scoring["type"]
    if kind == "linear":
        if not (_number(scoring.get("zero")) and _number(scoring.get("full"))) or scoring["zero"] == scoring["full"]:
            err(path, "linear scoring needs two different numbers, zero and full")
    elif kind == "steps":
        steps = scoring.get("steps")
        ok = (
            isinstance(steps, list)
            and steps
            and all(
                isinstance(s, list) and len(s) == 2 and _number(s[0]) and _number(s[1]) and 0 <= s[1] <= 100
                for s in steps
            )
        )
        if not ok or [s[0] for s in steps] != sorted(s[0] for s in steps):
            err(path, "steps must be [[value, score], …] with values ascending and scores 0–100")
    elif kind == "map":
        mapping = scoring.get("map")
        if (
            not isinstance(mapping, dict)
            or not mapping
            or not all(_number(v) and 0 <= v <= 100 for v in mapping.values())
        ):
            err(path, "map must give a score 0–100 for each value")


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


# --- scoring ------------------------------------------------------------------------------------


def leaves(definition: dict):
    """Every leaf indicator of a definition, in order."""

    def walk(nodes):
        for node in nodes:
            if node.get("children"):
                yield from walk(node["children"])
            else:
                yield node

    return list(walk(definition["indicators"]))


def score_value(scoring: dict, value) -> float | None:
    """The indicator score (0–100) of a raw value; None when there is no value."""
    if value is None:
        return None
    kind = scoring["type"]
    if kind == "map":
        key = _map_key(value)
        return float(scoring["map"].get(key, scoring.get("default", 0)))
    value = float(value)
    if kind == "linear":
        zero, full = scoring["zero"], scoring["full"]
        return round(max(0.0, min(1.0, (value - zero) / (full - zero))) * 100, 4)
    result = 0.0
    for threshold, step_score in scoring["steps"]:
        if value >= threshold:
            result = float(step_score)
    return result


def _map_key(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass
class Result:
    score: float | None
    level: int | None
    coverage: float
    breakdown: list[dict]
    rule: str = ""
    rule_name: str = ""
    inputs: dict = field(default_factory=dict)


def level_of(score: float | None, thresholds: dict) -> int | None:
    if score is None:
        return None
    for level in ("1", "2", "3"):
        if score >= thresholds[level]:
            return int(level)
    return 4


def evaluate(definition: dict, inputs: dict) -> Result:
    """Grade one enterprise: ``inputs`` maps leaf indicator codes to raw values (missing or None: no
    data). The breakdown lists every indicator (groups and leaves, depth-first) with its value, score,
    configured weight, effective weight and contribution."""
    rows: list[dict] = []

    def walk(nodes, depth, parent) -> tuple[float | None, list[tuple[dict, float]]]:
        # returns (group score, [(row, normalised weight within siblings)]) for nodes with data
        scored = []
        for node in nodes:
            row = {
                "code": node["code"],
                "name": node["name"],
                "parent": parent,
                "depth": depth,
                "weight": node["weight"],
                "value": None,
                "score": None,
            }
            rows.append(row)
            if node.get("advice"):
                row["advice"] = node["advice"]  # what to do when this indicator is high (RSK-18)
            if node.get("children"):
                row["score"], row["_children"] = walk(node["children"], depth + 1, node["code"])
            else:
                row["source"] = node["source"]
                row["value"] = inputs.get(node["code"])
                row["score"] = score_value(node["scoring"], row["value"])
            if row["score"] is not None:
                scored.append(row)
        total_weight = sum(r["weight"] for r in scored)
        if not scored or total_weight <= 0:
            return None, []
        shares = [(r, r["weight"] / total_weight) for r in scored]
        return round(sum(r["score"] * share for r, share in shares), 4), shares

    total, shares = walk(definition["indicators"], 0, None)

    def spread(pairs, factor):
        for row, share in pairs:
            row["effective_weight"] = round(share * factor, 6)
            row["contribution"] = round(row["score"] * share * factor, 4)
            spread(row.pop("_children", []), share * factor)

    spread(shares, 1.0)
    for row in rows:
        row.pop("_children", None)
        row.setdefault("effective_weight", 0.0)
        row.setdefault("contribution", None)
    coverage = _coverage(definition["indicators"], inputs)
    level = level_of(total, definition["thresholds"])
    rule, rule_name = "", ""
    for candidate in definition.get("rules") or ():
        value = inputs.get(candidate["indicator"])
        if value is None or not OPS[candidate["op"]](float(value), candidate["value"]):
            continue
        if level is None or candidate["level"] < level:
            level, rule, rule_name = candidate["level"], candidate["code"], candidate.get("name", "")
    return Result(
        score=total, level=level, coverage=coverage, breakdown=rows, rule=rule, rule_name=rule_name, inputs=inputs
    )


def _coverage(nodes, inputs) -> float:
    """Share of the model's configured weight whose indicators have data."""
    total = sum(n["weight"] for n in nodes)
    if total <= 0:
        return 0.0
    covered = 0.0
    for node in nodes:
        if node.get("children"):
            covered += node["weight"] * _coverage(node["children"], inputs)
        elif inputs.get(node["code"]) is not None:
            covered += node["weight"]
    return round(covered / total, 4)


def drivers(current: list[dict], previous: list[dict] | None, limit: int = 5) -> list[dict]:
    """The leaf indicators that drove a rise: largest growth in contribution since the previous
    result (or, without one, the largest contributions)."""
    before = {row["code"]: row.get("contribution") or 0 for row in previous or ()}
    candidates = []
    for row in current:
        if row.get("source") is None or row.get("contribution") is None:
            continue
        delta = row["contribution"] - before.get(row["code"], 0)
        candidates.append((delta if previous else row["contribution"], row))
    candidates.sort(key=lambda pair: pair[0], reverse=True)
    return [
        {
            "code": row["code"],
            "name": row["name"],
            "value": row["value"],
            "score": row["score"],
            "contribution": row["contribution"],
            "delta": round(delta, 4),
            **({"advice": row["advice"]} if row.get("advice") else {}),
        }
        for delta, row in candidates[:limit]
        if delta > 0
    ]


def suggestions(breakdown: list[dict], limit: int = 3) -> list[dict]:
    """Control suggestions (管控建议, RSK-18): the advice of the leaf indicators contributing most."""
    leaves = [r for r in breakdown if r.get("source") and r.get("contribution") and r.get("advice")]
    leaves.sort(key=lambda r: r["contribution"], reverse=True)
    return [
        {"indicator": r["code"], "name": r["name"], "contribution": r["contribution"], "advice": r["advice"]}
        for r in leaves[:limit]
    ]
