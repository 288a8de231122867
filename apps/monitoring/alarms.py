"""Threshold alarms (阈值报警/消警) as a pure state machine, one step per reading.

Levels, from low to high: low_low, low, normal, high, high_high (a switch point: normal or ``state``).
- Hysteresis: an alarm level is kept until the value comes back past its threshold by the deadband,
  so a value bouncing at a limit makes one alarm, not fifty.
- Raise delay: a worse level must persist ``raise_delay`` seconds before it takes effect.
- Stay-clear: a return to a better level (or normal) must persist ``clear_delay`` seconds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

NORMAL, LOW_LOW, LOW, HIGH, HIGH_HIGH, STATE = "normal", "low_low", "low", "high", "high_high", "state"
RANK = {LOW_LOW: -2, LOW: -1, NORMAL: 0, HIGH: 1, HIGH_HIGH: 2, STATE: 1}


@dataclass(frozen=True)
class Limits:
    low_low: float | None = None
    low: float | None = None
    high: float | None = None
    high_high: float | None = None
    deadband: float = 0.0
    raise_delay: float = 0.0  # seconds
    clear_delay: float = 0.0  # seconds
    switch: bool = False
    alarm_value: float = 1.0  # the switch state that is abnormal


@dataclass
class Tracker:
    level: str = NORMAL
    pending: str | None = None
    pending_since: dt.datetime | None = None


def raw_level(value: float, limits: Limits) -> str:
    if limits.switch:
        return STATE if value == limits.alarm_value else NORMAL
    if limits.high_high is not None and value >= limits.high_high:
        return HIGH_HIGH
    if limits.high is not None and value >= limits.high:
        return HIGH
    if limits.low_low is not None and value <= limits.low_low:
        return LOW_LOW
    if limits.low is not None and value <= limits.low:
        return LOW
    return NORMAL


def classify(value: float, limits: Limits, current: str) -> str:
    """The level ``value`` means, given the current level (hysteresis by the deadband)."""
    level = raw_level(value, limits)
    if limits.switch or current == NORMAL or level == current:
        return level
    band = limits.deadband or 0.0
    if RANK[current] > 0 and RANK[level] < RANK[current]:  # easing on the high side
        threshold = limits.high_high if current == HIGH_HIGH else limits.high
        if threshold is not None and value > threshold - band:
            return current
        if current == HIGH_HIGH and limits.high is not None and RANK[level] <= 0 and value > limits.high - band:
            return HIGH
    if RANK[current] < 0 and RANK[level] > RANK[current]:  # easing on the low side
        threshold = limits.low_low if current == LOW_LOW else limits.low
        if threshold is not None and value < threshold + band:
            return current
        if current == LOW_LOW and limits.low is not None and RANK[level] >= 0 and value < limits.low + band:
            return LOW
    return level


def _worse(target: str, current: str) -> bool:
    return abs(RANK[target]) > abs(RANK[current]) or (RANK[target] * RANK[current] < 0)


def step(tracker: Tracker, value: float, ts: dt.datetime, limits: Limits) -> tuple[str, str] | None:
    """Advance ``tracker`` by one reading; return (old level, new level) when the level changes."""
    target = classify(value, limits, tracker.level)
    if target == tracker.level:
        tracker.pending = tracker.pending_since = None
        return None
    delay = limits.raise_delay if _worse(target, tracker.level) else limits.clear_delay
    if delay > 0:
        if tracker.pending != target:
            tracker.pending, tracker.pending_since = target, ts
            return None
        if (ts - tracker.pending_since).total_seconds() < delay:
            return None
    old = tracker.level
    tracker.level, tracker.pending, tracker.pending_since = target, None, None
    return old, target


def side(level: str) -> str | None:
    """Which active alarm a level belongs to: one per (point, side)."""
    if level in (HIGH, HIGH_HIGH):
        return "high"
    if level in (LOW, LOW_LOW):
        return "low"
    if level == STATE:
        return "state"
    return None
