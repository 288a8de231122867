"""Sensor simulator (传感器数据模拟器): realistic readings for the configured gateways, sent through the
real ingestion paths of contract §2 (signed HTTP batches, or MQTT through the bridge), so a demo shows
live values and alarms and so load can be generated.

The parts, each usable without a server:
- ``load_fleet`` reads the enabled gateways and their points in use (the only database access);
- ``select_points`` decides which points report and how often, for a wanted overall rate;
- ``AnalogSignal`` is a bounded, mean-reverting random walk inside a point's normal operating band;
- ``Faults`` injects excursions (超限), stuck sensors (数据僵死), gateway outages (网关中断) and
  switches toggling to their abnormal state (开关量异常), each started as a Poisson process;
- ``Simulator`` ticks: every point due since the last tick gets a reading, and each gateway's due
  readings go out as one batch (chunked to the 5,000-reading limit) through a transport
  (``HttpTransport`` or ``MqttTransport``).

Time inside the simulator is seconds since its start (monotonic); a reading's timestamp is the wall
time of its slot in the schedule, never later than the moment it is built.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import heapq
import hmac
import http.client
import json
import logging
import math
import os
import random
import socket
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt

log = logging.getLogger(__name__)

MAX_READINGS = 5000  # per request, contract §2
INGEST_PATH = "/api/v1/ingest/readings"
# A reading more than this late (the simulator stalled, the server was slow) is skipped rather than
# sent in a catch-up flood; its point resumes at its next slot.
MAX_CATCH_UP_S = 60.0


# --- the fleet ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SimPoint:
    """What the simulator needs of a monitoring point (监测点位)."""

    pk: int
    code: str
    enterprise_id: int
    period_s: float = 60.0
    switch: bool = False
    range_low: float | None = None
    range_high: float | None = None
    low_low: float | None = None
    low: float | None = None
    high: float | None = None
    high_high: float | None = None
    deadband: float = 0.0
    alarm_state: bool = True
    typical_low: float | None = None
    typical_high: float | None = None
    gateway_id: str = ""

    @property
    def has_thresholds(self) -> bool:
        return any(v is not None for v in (self.low_low, self.low, self.high, self.high_high))


@dataclass(frozen=True)
class SimGateway:
    """A data-collection gateway (采集网关) with its decrypted HMAC secret."""

    gateway_id: str
    enterprise_id: int
    secret: str


@dataclass
class Fleet:
    gateways: list[SimGateway]
    points: list[SimPoint]  # each with its gateway_id assigned

    @property
    def enterprises(self) -> int:
        return len({g.enterprise_id for g in self.gateways})


def assign_gateways(points: Iterable[SimPoint], gateway_ids: list[str]) -> list[SimPoint]:
    """Split one enterprise's points among its gateways: round robin in code order, so the split is
    the same on every run and every gateway carries a share of every kind of point."""
    gateway_ids = sorted(gateway_ids)
    ordered = sorted(points, key=lambda p: p.code)
    return [replace(p, gateway_id=gateway_ids[i % len(gateway_ids)]) for i, p in enumerate(ordered)]


def load_fleet(*, enterprises: int | None = None, enterprise_ids: Iterable[int] | None = None) -> Fleet:
    """Enabled gateways of enterprises that are not deleted, and their points in use; ``enterprises``
    keeps the first K such enterprises by primary key."""
    from .models import Gateway, MonitoringPoint
    from .services import gateway_secret

    gateways = Gateway.objects.filter(is_enabled=True, enterprise__deleted=False).order_by(
        "enterprise_id", "gateway_id"
    )
    if enterprise_ids is not None:
        gateways = gateways.filter(enterprise_id__in=list(enterprise_ids))
    by_enterprise: dict[int, list] = defaultdict(list)
    for gateway in gateways:
        by_enterprise[gateway.enterprise_id].append(gateway)
    rows = (
        MonitoringPoint.objects.in_use()
        .filter(enterprise_id__in=list(by_enterprise))
        .order_by("enterprise_id", "code")
        .values(
            "pk",
            "code",
            "enterprise_id",
            "period_s",
            "kind__signal",
            "range_low",
            "range_high",
            "low_low",
            "low",
            "high",
            "high_high",
            "deadband",
            "alarm_state",
            "kind__typical_low",
            "kind__typical_high",
        )
    )
    points_of: dict[int, list[SimPoint]] = defaultdict(list)
    for row in rows:
        points_of[row["enterprise_id"]].append(
            SimPoint(
                pk=row["pk"],
                code=row["code"],
                enterprise_id=row["enterprise_id"],
                period_s=float(row["period_s"] or 60),
                switch=row["kind__signal"] == "switch",
                range_low=row["range_low"],
                range_high=row["range_high"],
                low_low=row["low_low"],
                low=row["low"],
                high=row["high"],
                high_high=row["high_high"],
                deadband=row["deadband"] or 0.0,
                alarm_state=row["alarm_state"],
                typical_low=row["kind__typical_low"],
                typical_high=row["kind__typical_high"],
            )
        )
    kept = sorted(e for e in by_enterprise if points_of.get(e))
    if enterprises is not None:
        kept = kept[: max(enterprises, 0)]
    fleet = Fleet(gateways=[], points=[])
    for enterprise_id in kept:
        own = by_enterprise[enterprise_id]
        fleet.gateways += [SimGateway(g.gateway_id, enterprise_id, gateway_secret(g) or "") for g in own]
        fleet.points += assign_gateways(points_of[enterprise_id], [g.gateway_id for g in own])
    return fleet


# --- which points, how often ----------------------------------------------------------------------


def _rank(point: SimPoint) -> int:
    # Stable across runs and seeds: a larger --rate selects a superset of a smaller one, so points that
    # reported in an earlier run keep reporting instead of going offline.
    digest = hashlib.blake2b(f"{point.enterprise_id}:{point.code}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def natural_rate(points: Iterable[SimPoint], speedup: float = 1.0) -> float:
    """Readings per second when every point reports once per its period (scaled by ``speedup``)."""
    return sum(speedup / p.period_s for p in points if p.period_s > 0)


def select_points(
    points: Iterable[SimPoint], *, rate: float | None = None, speedup: float = 1.0
) -> list[tuple[SimPoint, float]]:
    """(point, reporting interval in seconds) for the points that report.

    Without ``rate`` every point reports once per ``period_s / speedup``. Below the natural rate, a
    stable pseudo-random subset of points reports at its own period (periods are never lengthened: a
    point slower than its period would be flagged offline). Above it, all points report proportionally
    faster."""
    points = [p for p in points if p.period_s > 0]
    natural = natural_rate(points, speedup)
    intervals = [(p, p.period_s / speedup) for p in points]
    if rate is None or natural <= 0:
        return intervals
    if rate >= natural:
        factor = rate / natural
        return [(p, interval / factor) for p, interval in intervals]
    chosen, total = [], 0.0
    for p, interval in sorted(intervals, key=lambda pi: _rank(pi[0])):
        if total >= rate:
            break
        chosen.append((p, interval))
        total += 1.0 / interval
    return chosen


# --- values ---------------------------------------------------------------------------------------


def _first(*values):
    return next((v for v in values if v is not None), None)


def operating_band(point: SimPoint) -> tuple[float, float, tuple[float, float]]:
    """(bottom, top, where the operating value sits as fractions of the band) of a point's normal
    operation: between its low and high thresholds, or the measuring/typical range on a side without
    one. One-sided limits put the value well away from the limit (gas near zero, flow well above its
    minimum)."""
    lower, upper = _first(point.low, point.low_low), _first(point.high, point.high_high)
    floor, ceiling = _first(point.range_low, point.typical_low), _first(point.range_high, point.typical_high)
    if lower is not None and upper is not None and lower < upper:
        return lower, upper, (0.35, 0.65)
    if upper is not None:
        bottom = floor if floor is not None and floor < upper else upper - max(abs(upper), 1.0)
        return bottom, upper, (0.15, 0.45)
    if lower is not None:
        top = ceiling if ceiling is not None and ceiling > lower else lower + max(abs(lower), 1.0)
        return lower, top, (0.4, 0.7)
    if floor is not None and ceiling is not None and floor < ceiling:
        return floor, ceiling, (0.3, 0.7)
    return 0.0, 100.0, (0.3, 0.7)


def _digits(width: float) -> int:
    """Decimals that show about three significant figures of movement within the band."""
    return max(0, min(6, 3 - math.floor(math.log10(width)))) if width > 0 else 3


class AnalogSignal:
    """An analog point's normal behaviour (正常工况): a random walk pulled back towards an operating
    value, clamped to the inner 90 % of the operating band, so it never crosses a threshold by itself."""

    REVERSION = 0.15  # share of the distance to the operating value recovered per reading
    STEP = 0.02  # noise per reading, as a share of the band width
    MARGIN = 0.05  # kept clear of each end of the band

    def __init__(self, point: SimPoint, rng: random.Random):
        bottom, top, (a, b) = operating_band(point)
        self.width = top - bottom
        self.centre = bottom + self.width * rng.uniform(a, b)
        self.floor, self.ceiling = bottom + self.MARGIN * self.width, top - self.MARGIN * self.width
        self.digits = _digits(self.width)
        self.value = self._clamp(self.centre + rng.gauss(0, 2 * self.STEP * self.width))

    def _clamp(self, value: float) -> float:
        return min(max(value, self.floor), self.ceiling)

    @property
    def current(self) -> float:
        return round(self.value, self.digits)

    def next(self, rng: random.Random) -> float:
        self.value = self._clamp(
            self.value + self.REVERSION * (self.centre - self.value) + rng.gauss(0, self.STEP * self.width)
        )
        return self.current


# --- faults ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FaultConfig:
    """Injected faults. Rates are starts per minute (wall time) over the whole fleet; durations are
    (shortest, longest) seconds. ``first_excursion_at`` forces one excursion early on a fast point, so a
    demo shows an alarm within the first minute."""

    excursion_rate: float = 2.0
    stuck_rate: float = 0.5
    outage_rate: float = 0.1
    toggle_rate: float = 1.0
    first_excursion_at: float | None = 5.0
    excursion_ramp_s: tuple[float, float] = (5.0, 20.0)
    excursion_hold_s: tuple[float, float] = (60.0, 180.0)
    stuck_s: tuple[float, float] = (300.0, 1200.0)
    outage_s: tuple[float, float] = (180.0, 360.0)
    toggle_s: tuple[float, float] = (30.0, 120.0)
    max_outage_share: float = 0.1  # of the gateways down at once (at least one)
    severe_share: float = 0.35  # of high excursions that go past high-high
    low_share: float = 0.25  # of excursions on the low side, where the point has a low limit

    @classmethod
    def none(cls) -> FaultConfig:
        return cls(excursion_rate=0, stuck_rate=0, outage_rate=0, toggle_rate=0, first_excursion_at=None)

    def scaled(self, speedup: float) -> FaultConfig:
        """Time compressed by ``speedup``: excursions, stuck sensors and toggles are shorter. Outages are
        not: offline detection counts the configured periods in wall time, so a shorter outage would
        never be noticed."""
        if speedup == 1:
            return self

        def shrink(span):
            return (span[0] / speedup, span[1] / speedup)

        return replace(
            self,
            first_excursion_at=None if self.first_excursion_at is None else self.first_excursion_at / speedup,
            excursion_ramp_s=shrink(self.excursion_ramp_s),
            excursion_hold_s=shrink(self.excursion_hold_s),
            stuck_s=shrink(self.stuck_s),
            toggle_s=shrink(self.toggle_s),
        )


@dataclass
class Excursion:
    """A value leaving its band (超限): ramps to ``peak`` past ``threshold``, holds, ramps back."""

    side: str  # high / low
    threshold: float
    peak: float
    jitter: float
    start: float
    ramp_end: float
    hold_end: float
    end: float

    def value(self, t: float, base: float, rng: random.Random) -> float:
        if t < self.ramp_end:
            share = (t - self.start) / (self.ramp_end - self.start)
        elif t < self.hold_end:
            return self.peak + rng.uniform(-self.jitter, self.jitter)
        else:
            share = max(0.0, (self.end - t) / (self.end - self.hold_end))
        return base + (self.peak - base) * share

    def holding(self, t: float) -> bool:
        return self.ramp_end <= t < self.hold_end


def excursion_target(point: SimPoint, width: float, rng: random.Random, config: FaultConfig):
    """(side, threshold, peak, name of the limit) of an excursion on ``point``, or None without limits."""
    high_side = point.high is not None or point.high_high is not None
    low_side = point.low is not None or point.low_low is not None
    if not (high_side or low_side):
        return None
    side = "low" if low_side and (not high_side or rng.random() < config.low_share) else "high"
    sign = 1 if side == "high" else -1
    near, far = (point.high, point.high_high) if side == "high" else (point.low, point.low_low)
    edge = point.range_high if side == "high" else point.range_low
    severe = far is not None and (near is None or rng.random() < config.severe_share)
    threshold = far if severe else near
    limit = {("high", False): "high", ("high", True): "high-high", ("low", False): "low", ("low", True): "low-low"}[
        (side, severe)
    ]
    # Past the limit by a tenth of the band, or halfway between two limits: an alarm that does not escalate.
    peak = threshold + sign * 0.1 * width if severe or far is None else (near + far) / 2
    if edge is not None and sign * (edge - threshold) >= 0:
        peak = min(peak, edge) if side == "high" else max(peak, edge)  # a sensor reads no further than its range
    return side, threshold, peak, limit


class Faults:
    """Injected faults (故障注入) over the simulated feeds, started as Poisson processes."""

    def __init__(self, config: FaultConfig, rng: random.Random, feeds: list[Feed], report: Callable[[str], None]):
        self.config, self.rng, self.report = config, rng, report
        self.excursion_candidates = [f for f in feeds if f.signal is not None and f.point.has_thresholds]
        self.analog = [f for f in feeds if f.signal is not None]
        self.switches = [f for f in feeds if f.point.switch]
        self.gateways = sorted({f.point.gateway_id for f in feeds})
        self.excursions: dict[int, Excursion] = {}
        self.stuck: dict[int, tuple[float, float]] = {}  # point → (until, frozen value)
        self.toggles: dict[int, float] = {}  # point → until
        self.outages: dict[str, float] = {}  # gateway → until
        self.started: Counter = Counter()
        self._first_excursion = config.first_excursion_at
        self._next = {
            "excursion": self._draw(0.0, config.excursion_rate),
            "stuck": self._draw(0.0, config.stuck_rate),
            "outage": self._draw(0.0, config.outage_rate),
            "toggle": self._draw(0.0, config.toggle_rate),
        }

    def _draw(self, t: float, per_minute: float) -> float:
        return t + self.rng.expovariate(per_minute / 60.0) if per_minute > 0 else math.inf

    def _span(self, span: tuple[float, float]) -> float:
        return self.rng.uniform(*span)

    def busy(self, pk: int) -> bool:
        return pk in self.excursions or pk in self.stuck or pk in self.toggles

    # -- queries, per reading --

    def gateway_down(self, gateway_id: str, t: float) -> bool:
        until = self.outages.get(gateway_id)
        return until is not None and t < until

    def stuck_value(self, pk: int, t: float) -> float | None:
        stuck = self.stuck.get(pk)
        return stuck[1] if stuck is not None and t < stuck[0] else None

    def toggled(self, pk: int, t: float) -> bool:
        until = self.toggles.get(pk)
        return until is not None and t < until

    def excursion(self, pk: int, t: float) -> Excursion | None:
        excursion = self.excursions.get(pk)
        return excursion if excursion is not None and excursion.start <= t < excursion.end else None

    # -- the clock --

    def advance(self, t: float) -> None:
        """Expire faults that are over and start those due by ``t``."""
        self.excursions = {pk: e for pk, e in self.excursions.items() if e.end > t}
        self.stuck = {pk: s for pk, s in self.stuck.items() if s[0] > t}
        self.toggles = {pk: until for pk, until in self.toggles.items() if until > t}
        for gateway_id in [g for g, until in self.outages.items() if until <= t]:
            del self.outages[gateway_id]
            self.report(f"outage over: gateway {gateway_id} sends again")
        if self._first_excursion is not None and t >= self._first_excursion:
            self._first_excursion = None
            self.start_excursion(t, self._fast_candidate(), ramp=self.config.excursion_ramp_s[0])
        starters = {
            "excursion": (self.config.excursion_rate, lambda: self.start_excursion(t)),
            "stuck": (self.config.stuck_rate, lambda: self.start_stuck(t)),
            "outage": (self.config.outage_rate, lambda: self.start_outage(t)),
            "toggle": (self.config.toggle_rate, lambda: self.start_toggle(t)),
        }
        for kind, (rate, start) in starters.items():
            while self._next[kind] <= t:
                start()
                self._next[kind] = self._draw(self._next[kind], rate)

    def _pick(self, feeds: list[Feed]) -> Feed | None:
        for _ in range(20):  # a few tries to find one without a fault already
            if not feeds:
                return None
            feed = self.rng.choice(feeds)
            if not self.busy(feed.point.pk) and feed.point.gateway_id not in self.outages:
                return feed
        return None

    def _fast_candidate(self) -> Feed | None:
        """The first excursion goes to one of the fastest-reporting points of the first enterprise
        (the demo enterprise, whose logins the README lists), so its alarm shows up soon."""
        if not self.excursion_candidates:
            return None
        fastest = min(f.interval for f in self.excursion_candidates)
        fast = [f for f in self.excursion_candidates if f.interval <= fastest * 1.01]
        first = min(f.point.enterprise_id for f in fast)
        return self.rng.choice([f for f in fast if f.point.enterprise_id == first])

    def start_excursion(self, t: float, feed: Feed | None = None, ramp: float | None = None) -> Excursion | None:
        feed = feed or self._pick(self.excursion_candidates)
        if feed is None or self.busy(feed.point.pk):
            return None
        target = excursion_target(feed.point, feed.signal.width, self.rng, self.config)
        if target is None:
            return None
        side, threshold, peak, limit = target
        ramp = self._span(self.config.excursion_ramp_s) if ramp is None else ramp
        hold = self._span(self.config.excursion_hold_s)
        excursion = Excursion(
            side=side,
            threshold=threshold,
            peak=peak,
            jitter=min(0.02 * feed.signal.width, 0.25 * abs(peak - threshold)),
            start=t,
            ramp_end=t + ramp,
            hold_end=t + ramp + hold,
            end=t + 2 * ramp + hold,
        )
        self.excursions[feed.point.pk] = excursion
        self.started["excursions"] += 1
        self.report(
            f"excursion: {feed.point.gateway_id}/{feed.point.code} to {peak:g} past its {limit} limit {threshold:g} "
            f"for {excursion.end - t:.0f} s"
        )
        return excursion

    def start_stuck(self, t: float) -> None:
        feed = self._pick(self.analog)
        if feed is None:
            return
        until = t + self._span(self.config.stuck_s)
        self.stuck[feed.point.pk] = (until, feed.signal.current)
        self.started["stuck"] += 1
        self.report(f"stuck sensor: {feed.point.gateway_id}/{feed.point.code} frozen at {feed.signal.current:g}")

    def start_outage(self, t: float) -> None:
        limit = max(1, int(len(self.gateways) * self.config.max_outage_share))
        up = [g for g in self.gateways if g not in self.outages]
        if len(self.outages) >= limit or not up:
            return
        gateway_id = self.rng.choice(up)
        self.outages[gateway_id] = until = t + self._span(self.config.outage_s)
        self.started["outages"] += 1
        self.report(f"outage: gateway {gateway_id} silent for {until - t:.0f} s")

    def start_toggle(self, t: float) -> None:
        feed = self._pick(self.switches)
        if feed is None:
            return
        self.toggles[feed.point.pk] = t + self._span(self.config.toggle_s)
        self.started["toggles"] += 1
        self.report(f"switch toggled: {feed.point.gateway_id}/{feed.point.code} to its abnormal state")


# --- transports -----------------------------------------------------------------------------------


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """X-Signature of contract §2: hex HMAC-SHA256 over "<unix seconds>\\n<raw body>"."""
    return hmac.new(secret.encode(), timestamp.encode() + b"\n" + body, hashlib.sha256).hexdigest()


def encode(readings: list[dict]) -> bytes:
    return json.dumps({"readings": readings}, separators=(",", ":"), ensure_ascii=False).encode()


def chunks(readings: list, size: int = MAX_READINGS) -> Iterator[list]:
    for start in range(0, len(readings), size):
        yield readings[start : start + size]


@dataclass
class SendResult:
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    retries: int = 0
    error: str | None = None
    reasons: Counter = field(default_factory=Counter)  # per-reading rejection reasons


@dataclass
class Stats:
    """Counters shared by the tick loop, the sending threads and MQTT callbacks."""

    sent: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    errors: int = 0  # batches that could not be delivered
    retries: int = 0
    batches: int = 0
    suppressed: int = 0  # readings a gateway in an outage did not send
    skipped: int = 0  # readings dropped because the loop fell too far behind
    problems: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, result: SendResult) -> None:
        with self.lock:
            self.accepted += result.accepted
            self.duplicates += result.duplicates
            self.rejected += result.rejected
            self.retries += result.retries
            for reason, n in result.reasons.items():
                self.problems[f"rejected: {reason}"] += n
                if self.problems[f"rejected: {reason}"] == n:
                    log.warning("simulator: readings rejected: %s", reason)
            if result.error:
                self.errors += 1
                self.problems[result.error] += 1
                if self.problems[result.error] == 1:  # first of its kind now; counts in the summaries
                    log.warning("simulator: %s", result.error)


class HttpTransport:
    """Signed POSTs (contract §2) over kept-alive connections, one per sending thread. A 429 or 503 is
    retried after its Retry-After; a connection the server closed is reopened once."""

    MAX_ATTEMPTS = 6

    def __init__(self, url: str = "http://127.0.0.1:8000", timeout: float = 30.0, stop: threading.Event | None = None):
        parts = urlsplit(url)
        self.https = parts.scheme == "https"
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or (443 if self.https else 80)
        self.path = parts.path.rstrip("/") + INGEST_PATH
        self.timeout = timeout
        self.stop = stop or threading.Event()
        self._local = threading.local()
        self._all: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()
        self.stats: Stats | None = None

    def _connection(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            cls = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
            conn = self._local.conn = cls(self.host, self.port, timeout=self.timeout)
            with self._lock:
                self._all.append(conn)
        return conn

    def _reset(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def wait_ready(self, timeout: float = 120.0) -> bool:
        """Wait for the server to answer /healthz (``make run`` starts the simulator before the server)."""
        deadline = time.monotonic() + timeout
        while not self.stop.is_set():
            try:
                conn = self._connection()
                conn.request("GET", self.path.removesuffix(INGEST_PATH) + "/healthz")
                response = conn.getresponse()
                response.read()
                if response.status < 500:
                    return True
            except (OSError, http.client.HTTPException):
                self._reset()
            if time.monotonic() > deadline:
                return False
            self.stop.wait(1.0)
        return False

    def send(self, gateway: SimGateway, readings: list[dict]) -> SendResult:
        body = encode(readings)
        result = SendResult()
        for attempt in range(self.MAX_ATTEMPTS):
            stamp = str(int(time.time()))  # signed afresh on each attempt: the server allows 300 s of skew
            headers = {
                "Content-Type": "application/json",
                "X-Gateway-Id": gateway.gateway_id,
                "X-Timestamp": stamp,
                "X-Signature": sign(gateway.secret, stamp, body),
            }
            try:
                conn = self._connection()
                conn.request("POST", self.path, body, headers)
                response = conn.getresponse()
                payload = response.read()
                status, retry_after = response.status, response.getheader("Retry-After")
            except (OSError, http.client.HTTPException) as exc:
                self._reset()
                if attempt == 0:  # most often a kept-alive connection the server had closed
                    result.retries += 1
                    continue
                result.error = f"{type(exc).__name__}: {exc}".rstrip(": ")
                return result
            if status == 202:
                answer = json.loads(payload)
                result.accepted, result.duplicates = answer.get("accepted", 0), answer.get("duplicates", 0)
                result.rejected = len(answer.get("rejected") or [])
                result.reasons.update(r.get("error", "?") for r in answer.get("rejected") or [])
                return result
            if status in (429, 503):
                result.retries += 1
                if self.stop.wait(_retry_delay(retry_after, attempt)):
                    result.error = "stopped while backing off"
                    return result
                continue
            result.error = f"HTTP {status}: {_detail(payload)}"
            return result
        result.error = f"gave up after {self.MAX_ATTEMPTS} attempts (server shedding load)"
        return result

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()


def _retry_delay(header: str | None, attempt: int) -> float:
    try:
        delay = float(header) if header else None
    except ValueError:  # an HTTP date: not worth parsing, back off instead
        delay = None
    if delay is None or delay < 0:
        delay = min(30.0, 2.0**attempt)
    return min(delay, 60.0)


def _detail(payload: bytes) -> str:
    try:
        return str(json.loads(payload).get("detail", ""))[:200]
    except (ValueError, AttributeError):
        return payload[:200].decode("utf-8", "replace")


class MqttTransport:
    """QoS 1 publishes on ``anquan/v1/<gateway id>/readings``, one client per gateway logged in with
    username = gateway id (the broker authenticates and restricts each gateway to its own topics;
    the secret is the password). Over MQTT "accepted" counts readings the broker acknowledged; the
    bridge's per-reading rejections come back on ``anquan/v1/<gateway id>/rejections``."""

    def __init__(self, host: str = "127.0.0.1", port: int = 1883, client_prefix: str = "sim"):
        self.host, self.port, self.client_prefix = host, port, client_prefix
        self.clients: dict[str, object] = {}
        self._lock = threading.Lock()
        self._connect_lock = threading.Lock()
        self._pending: dict[tuple[str, int], int] = {}
        self._early: set[tuple[str, int]] = set()
        self.stats: Stats | None = None
        self.stop = threading.Event()

    def wait_ready(self, timeout: float = 120.0) -> bool:
        deadline = time.monotonic() + timeout
        while not self.stop.is_set():
            try:
                socket.create_connection((self.host, self.port), timeout=2).close()
                return True
            except OSError:
                if time.monotonic() > deadline:
                    return False
                self.stop.wait(1.0)
        return False

    def _client(self, gateway: SimGateway):
        with self._connect_lock:  # one client per gateway, even when two chunks of it go out at once
            client = self.clients.get(gateway.gateway_id)
            if client is None:
                client = self.clients[gateway.gateway_id] = self._connect(gateway)
        return client

    def _connect(self, gateway: SimGateway):
        client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=f"{self.client_prefix}-{gateway.gateway_id}-{os.getpid()}",
            clean_session=True,
        )
        client.username_pw_set(gateway.gateway_id, gateway.secret)
        client.reconnect_delay_set(1, 30)
        reply_topic = f"anquan/v1/{gateway.gateway_id}/rejections"

        def on_connect(c, userdata, flags, reason_code, properties):
            if reason_code.is_failure:  # e.g. the broker refused the credentials
                if self.stats is not None:
                    self.stats.add(SendResult(error=f"MQTT connect refused for {gateway.gateway_id}: {reason_code}"))
                return
            c.subscribe(reply_topic, qos=1)

        client.on_connect = on_connect
        client.on_message = lambda c, u, message: self._on_reply(message.payload)
        client.on_publish = lambda c, u, mid, rc, props: self._on_ack(gateway.gateway_id, mid)
        client.connect(self.host, self.port, keepalive=30)
        client.loop_start()
        return client

    def _on_ack(self, gateway_id: str, mid: int) -> None:
        with self._lock:
            count = self._pending.pop((gateway_id, mid), None)
            if count is None:  # acknowledged before send() recorded it
                self._early.add((gateway_id, mid))
        if count and self.stats is not None:
            self.stats.add(SendResult(accepted=count))

    def _on_reply(self, payload: bytes) -> None:
        try:
            reply = json.loads(payload)
        except ValueError:
            return
        result = SendResult()
        if "error" in reply:
            result.error = f"bridge refused a message: {reply.get('status')} {reply['error']}"
        else:
            result.rejected = len(reply.get("rejected") or [])
            result.reasons.update(r.get("error", "?") for r in reply.get("rejected") or [])
        if self.stats is not None:
            self.stats.add(result)

    def send(self, gateway: SimGateway, readings: list[dict]) -> SendResult:
        try:
            client = self._client(gateway)
        except OSError as exc:
            return SendResult(error=f"MQTT connect: {exc}")
        info = client.publish(f"anquan/v1/{gateway.gateway_id}/readings", encode(readings), qos=1)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            # paho keeps a QoS 1 message queued while it reconnects; counted as a problem all the same
            return SendResult(error=f"MQTT publish: {mqtt.error_string(info.rc)}")
        key = (gateway.gateway_id, info.mid)
        with self._lock:
            if key in self._early:
                self._early.discard(key)
                early = True
            else:
                self._pending[key] = len(readings)
                early = False
        return SendResult(accepted=len(readings) if early else 0)

    def close(self, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while self._pending and time.monotonic() < deadline:
            time.sleep(0.05)
        for client in list(self.clients.values()):
            client.disconnect()
            client.loop_stop()
        self.clients.clear()


# --- the simulator --------------------------------------------------------------------------------


@dataclass(eq=False)
class Feed:
    """One reporting point: its interval (after --speedup/--rate) and its value model."""

    point: SimPoint
    interval: float
    signal: AnalogSignal | None


def iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat(timespec="milliseconds")


class Simulator:
    """Ticks over the selected points; see the module docstring."""

    def __init__(
        self,
        fleet: Fleet,
        transport,
        *,
        rate: float | None = None,
        speedup: float = 1.0,
        tick: float = 5.0,
        seed: int | None = None,
        faults: FaultConfig | None = None,
        report: Callable[[str], None] = print,
        report_every: float = 10.0,
        concurrency: int = 4,
        batch_size: int = MAX_READINGS,
    ):
        self.fleet, self.transport = fleet, transport
        self.gateways = {g.gateway_id: g for g in fleet.gateways}
        self.tick, self.report, self.report_every = tick, report, report_every
        self.concurrency, self.batch_size = concurrency, min(batch_size, MAX_READINGS)
        self.rng = random.Random(seed)
        self.feeds = [
            Feed(p, interval, None if p.switch else AnalogSignal(p, self.rng))
            for p, interval in select_points(fleet.points, rate=rate, speedup=speedup)
        ]
        self.rate = sum(1.0 / f.interval for f in self.feeds)
        # Phases spread over each interval, so the load is smooth rather than one burst per period.
        self._due = [(self.rng.uniform(0, f.interval), i) for i, f in enumerate(self.feeds)]
        heapq.heapify(self._due)
        self.faults = Faults(
            (faults or FaultConfig()).scaled(speedup), random.Random(self.rng.random()), self.feeds, report
        )
        self.stats = Stats()
        transport.stats = self.stats
        self.start_wall = time.time()
        self.elapsed = 0.0
        self.lag = 0.0

    # -- building readings --

    def _value(self, feed: Feed, t: float):
        point = feed.point
        if point.switch:
            return point.alarm_state if self.faults.toggled(point.pk, t) else not point.alarm_state
        frozen = self.faults.stuck_value(point.pk, t)
        if frozen is not None:
            return frozen
        value = feed.signal.next(self.rng)
        excursion = self.faults.excursion(point.pk, t)
        if excursion is None:
            return value
        value = round(excursion.value(t, value, self.rng), feed.signal.digits)
        if excursion.holding(t):  # rounding must not undo the alarm the excursion is for
            value = max(value, excursion.threshold) if excursion.side == "high" else min(value, excursion.threshold)
        return value

    def step(self, t: float, wall_now: float | None = None) -> dict[str, list[dict]]:
        """The readings due by ``t`` (seconds since start), grouped by gateway."""
        wall_now = time.time() if wall_now is None else wall_now
        self.faults.advance(t)
        batches: dict[str, list[dict]] = defaultdict(list)
        due = self._due
        self.lag = 0.0  # age of the oldest reading of this tick: more than a tick means the loop is behind
        while due and due[0][0] <= t:
            slot, index = heapq.heappop(due)
            feed = self.feeds[index]
            self.lag = max(self.lag, t - slot)
            if t - slot > MAX_CATCH_UP_S:
                behind = math.ceil((t - slot) / feed.interval)
                self.stats.skipped += behind
                heapq.heappush(due, (slot + behind * feed.interval, index))
                continue
            heapq.heappush(due, (slot + feed.interval, index))
            if self.faults.gateway_down(feed.point.gateway_id, slot):
                self.stats.suppressed += 1
                continue
            batches[feed.point.gateway_id].append(
                {
                    "point": feed.point.code,
                    "ts": iso(min(self.start_wall + slot, wall_now)),
                    "value": self._value(feed, slot),
                }
            )
        return batches

    def requests(self, batches: dict[str, list[dict]]) -> list[tuple[SimGateway, list[dict]]]:
        return [
            (self.gateways[gateway_id], chunk)
            for gateway_id, readings in batches.items()
            for chunk in chunks(readings, self.batch_size)
        ]

    # -- running --

    def _send(self, gateway: SimGateway, readings: list[dict]) -> None:
        try:
            result = self.transport.send(gateway, readings)
        except Exception as exc:  # a bug or an unexpected library error must not stop the run
            result = SendResult(error=f"{type(exc).__name__}: {exc}")
            if not self.stats.problems[result.error]:  # the traceback once; the summaries count the rest
                log.exception("simulator: sending to %s failed", gateway.gateway_id)
        self.stats.add(result)

    def summary(self) -> str:
        s, f = self.stats, self.faults
        rate = s.sent / self.elapsed if self.elapsed > 0 else 0.0
        return (
            f"[{self.elapsed:6.0f}s] sent {s.sent} accepted {s.accepted} duplicates {s.duplicates} "
            f"rejected {s.rejected} errors {s.errors} retries {s.retries} | excursions {len(f.excursions)} "
            f"stuck {len(f.stuck)} outages {len(f.outages)} toggles {len(f.toggles)} | {rate:.0f}/s, "
            f"behind {max(0.0, self.lag - self.tick):.1f}s"
        )

    def final_summary(self) -> str:
        s, started = self.stats, self.faults.started
        lines = [
            f"done after {self.elapsed:.1f} s: sent {s.sent} in {s.batches} batches, accepted {s.accepted}, "
            f"duplicates {s.duplicates}, rejected {s.rejected}, errors {s.errors}, retries {s.retries}, "
            f"held back by outages {s.suppressed}, skipped {s.skipped}",
            "faults started: "
            + ", ".join(f"{kind} {started[kind]}" for kind in ("excursions", "stuck", "outages", "toggles")),
        ]
        lines += [f"  {n} × {problem}" for problem, n in s.problems.most_common(10)]
        return "\n".join(lines)

    def run(self, stop: threading.Event | None = None, duration: float | None = None) -> Stats:
        """Stream until ``stop`` is set or ``duration`` seconds have passed; returns the counters."""
        stop = stop or threading.Event()
        self.transport.stop = stop  # so a back-off or a reconnect wait ends with the run
        self.report(
            f"simulating {len(self.feeds)} of {len(self.fleet.points)} points on {len(self.gateways)} gateways "
            f"of {self.fleet.enterprises} enterprises, about {self.rate:.0f} readings/s"
        )
        started = time.monotonic()
        self.start_wall = time.time()
        next_tick, next_report = 0.0, self.report_every
        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="simulator") as pool:
            while not stop.is_set():
                t = time.monotonic() - started
                last = duration is not None and t >= duration
                if last:  # send what fell due up to the end, then stop
                    t = duration
                requests = self.requests(self.step(t))
                with self.stats.lock:
                    self.stats.sent += sum(len(r) for _, r in requests)
                    self.stats.batches += len(requests)
                # Wait for this tick's batches: a slow server slows the loop down (the lag shows it)
                # instead of piling up requests.
                list(pool.map(lambda req: self._send(*req), requests))
                self.elapsed = time.monotonic() - started
                if last:
                    break
                if self.elapsed >= next_report:
                    self.report(self.summary())
                    while next_report <= self.elapsed:
                        next_report += self.report_every
                next_tick += self.tick
                if next_tick < self.elapsed:  # more than a tick behind: do not try to make the time up
                    next_tick = self.elapsed
                wait = next_tick - (time.monotonic() - started)
                if duration is not None:
                    wait = min(wait, duration - (time.monotonic() - started))
                if wait > 0:
                    stop.wait(wait)
        self.elapsed = time.monotonic() - started
        self.transport.close()
        self.report(self.final_summary())
        return self.stats
