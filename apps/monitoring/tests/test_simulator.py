"""The sensor simulator (传感器数据模拟器): value model, injected faults, rate selection, batching and
signing as pure units; then whole runs through the real HTTP endpoint (live server) and MQTT bridge."""

import datetime as dt
import http.server
import json
import random
import re
import threading
import time
import uuid
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from apps.enterprises.tests.factories import enterprise
from apps.facilities.models import Facility, FacilityKind
from apps.monitoring import alarms as machine
from apps.monitoring import ingest as ingest_module
from apps.monitoring import simulator as sim
from apps.monitoring.ingest import IngestRejected, authenticate
from apps.monitoring.models import Alarm, MeasurementKind, MonitoringPoint, PointState
from apps.monitoring.services import create_gateway, update_gateway

NO_FAULTS = sim.FaultConfig.none()


class RecordingTransport:
    """Stands in for HTTP/MQTT: keeps what would have been sent."""

    def __init__(self, result=None):
        self.sent, self.result, self.stop = [], result, threading.Event()

    def send(self, gateway, readings):
        self.sent.append((gateway.gateway_id, readings))
        if isinstance(self.result, Exception):
            raise self.result
        return self.result or sim.SendResult(accepted=len(readings))

    def close(self):
        pass


def point(pk=1, code=None, gateway_id="gw-a", **fields):
    return sim.SimPoint(pk=pk, code=code or f"P-{pk}", enterprise_id=1, gateway_id=gateway_id, **fields)


def fleet_of(points):
    gateway_ids = sorted({p.gateway_id for p in points})
    return sim.Fleet(gateways=[sim.SimGateway(g, 1, "secret") for g in gateway_ids], points=list(points))


def run_steps(simulator, until, every=1.0):
    """(t, gateway id, reading) for every reading produced by ticks at 0, every, 2·every … until."""
    simulator.start_wall = time.time() - until - 1  # every slot lies in the past
    out, t = [], 0.0
    while t <= until:
        for gateway_id, readings in simulator.step(t).items():
            out += [(t, gateway_id, r) for r in readings]
        t += every
    return out


def values_of(readings, code):
    return [r["value"] for _t, _g, r in readings if r["point"] == code]


# --- value model ----------------------------------------------------------------------------------

BANDS = [
    {"high": 80.0, "high_high": 90.0, "range_low": -20.0, "range_high": 200.0},  # temperature
    {"high": 25.0, "high_high": 50.0, "range_low": 0.0, "range_high": 100.0},  # gas, upper limits only
    {"low_low": 10.0, "low": 20.0, "high": 80.0, "high_high": 90.0, "range_low": 0.0, "range_high": 100.0},
    {"low": 0.12, "range_low": 0.0, "range_high": 2.0},  # cooling water pressure, a lower limit only
    {"typical_low": -40.0, "typical_high": 1200.0},  # no limits at all
]


def test_given_no_faults_analog_values_stay_inside_their_limits_and_switches_in_their_normal_state():
    points = [point(pk=n + 1, period_s=1, **band) for n, band in enumerate(BANDS)]
    points += [
        point(pk=10, period_s=1, switch=True, alarm_state=True),
        point(pk=11, period_s=1, switch=True, alarm_state=False),
    ]
    simulator = sim.Simulator(fleet_of(points), RecordingTransport(), faults=NO_FAULTS, seed=3)

    readings = run_steps(simulator, 2000)

    for p in points:
        values = values_of(readings, p.code)
        assert len(values) >= 1999
        if p.switch:
            assert set(values) == {not p.alarm_state}
            continue
        lower = max(v for v in (p.low, p.low_low, p.range_low, p.typical_low, -1e9) if v is not None)
        upper = min(v for v in (p.high, p.high_high, p.range_high, p.typical_high, 1e9) if v is not None)
        assert all(lower < v < upper for v in values), p
        assert len(set(values)) > 50  # it moves


def test_excursion_crosses_the_high_threshold_raises_an_alarm_and_returns_below_the_deadband():
    p = point(period_s=1, high=80.0, high_high=90.0, deadband=2.0, range_low=0.0, range_high=150.0)
    faults = sim.FaultConfig(
        **{**NO_FAULTS.__dict__, "first_excursion_at": 3.0, "excursion_ramp_s": (4, 4), "excursion_hold_s": (10, 10)}
    )
    simulator = sim.Simulator(fleet_of([p]), RecordingTransport(), faults=faults, seed=5)

    values = values_of(run_steps(simulator, 40), p.code)

    assert simulator.faults.started["excursions"] == 1
    assert all(v < 78 for v in values[:3])
    assert max(values) >= 80
    assert all(v < 78 for v in values[-15:])  # back, past the deadband
    limits = machine.Limits(high=80, high_high=90, deadband=2)
    tracker, changes, t0 = machine.Tracker(), [], dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for n, v in enumerate(values):
        change = machine.step(tracker, v, t0 + dt.timedelta(seconds=n), limits)
        if change:
            changes.append(change)
    assert changes[0][0] == "normal" and changes[0][1] in ("high", "high_high")
    assert changes[-1][1] == "normal"


def test_excursion_targets_respect_each_side_and_the_measuring_range():
    rng = random.Random(1)
    config = sim.FaultConfig()
    for _ in range(200):
        side, threshold, peak, _limit = sim.excursion_target(
            point(low=20, high=80, high_high=100, range_low=0, range_high=100), 60, rng, config
        )
        if side == "high":
            assert threshold in (80, 100) and threshold <= peak <= 100
        else:
            assert threshold == 20 and 0 <= peak <= 20
    assert sim.excursion_target(point(), 100, rng, config) is None


def test_a_stuck_sensor_repeats_its_value_then_moves_again():
    p = point(period_s=1, high=80.0, range_low=0.0, range_high=100.0)
    simulator = sim.Simulator(
        fleet_of([p]),
        RecordingTransport(),
        faults=sim.FaultConfig(**{**NO_FAULTS.__dict__, "stuck_s": (10, 10)}),
        seed=2,
    )
    simulator.start_wall = time.time() - 100
    for t in range(6):
        simulator.step(float(t))
    simulator.faults.start_stuck(5.5)

    values = [simulator.step(float(t))["gw-a"][0]["value"] for t in range(6, 30)]

    assert len(set(values[:9])) == 1  # t = 6 … 14, inside the 10 s
    assert len(set(values[10:])) > 5


def test_an_outage_silences_its_gateway_only_and_for_its_duration():
    points = [point(pk=n, period_s=1, gateway_id=("gw-a", "gw-b")[n % 2]) for n in range(10)]
    config = sim.FaultConfig(**{**NO_FAULTS.__dict__, "outage_s": (5, 5), "max_outage_share": 0.5})
    simulator = sim.Simulator(fleet_of(points), RecordingTransport(), faults=config, seed=4)
    simulator.start_wall = time.time() - 100
    simulator.step(1.0)
    simulator.faults.start_outage(1.0)
    down = next(iter(simulator.faults.outages))

    during = [simulator.step(float(t)) for t in range(2, 6)]
    after = [simulator.step(float(t)) for t in range(7, 9)]

    assert all(set(batch) == {"gw-a", "gw-b"} - {down} for batch in during)
    assert simulator.stats.suppressed >= 15
    assert all(set(batch) == {"gw-a", "gw-b"} for batch in after)


def test_a_toggled_switch_reports_its_abnormal_state_then_returns():
    p = point(period_s=1, switch=True, alarm_state=False)
    config = sim.FaultConfig(**{**NO_FAULTS.__dict__, "toggle_s": (3, 3)})
    simulator = sim.Simulator(fleet_of([p]), RecordingTransport(), faults=config, seed=4)
    simulator.start_wall = time.time() - 100
    simulator.step(1.0)
    simulator.faults.start_toggle(1.5)

    values = [simulator.step(float(t))["gw-a"][0]["value"] for t in range(2, 8)]

    assert values[:2] == [False, False] and values[-2:] == [True, True]


def test_defaults_start_an_excursion_on_a_fast_point_within_the_first_seconds():
    points = [point(pk=n, period_s=(10, 60)[n % 2], high=80.0, range_high=100.0) for n in range(50)]
    simulator = sim.Simulator(fleet_of(points), RecordingTransport(), seed=9)
    simulator.start_wall = time.time() - 100
    for t in range(0, 30, 5):
        simulator.step(float(t))
    first = min(simulator.faults.excursions.values(), key=lambda e: e.start)
    pk = next(pk for pk, e in simulator.faults.excursions.items() if e is first)
    assert first.start <= 10 and next(p for p in points if p.pk == pk).period_s == 10


# --- rate, schedule, batches ----------------------------------------------------------------------


def demo_like_points(n=2000):
    return [point(pk=k, code=f"P-{k:05d}", period_s=(10, 15, 30, 60)[k % 4]) for k in range(n)]


@pytest.mark.parametrize("rate", [20.0, 75.0, 150.0])
def test_rate_selection_gives_about_n_readings_per_second(rate):
    points = demo_like_points()  # natural rate 2000 × (1/10 + 1/15 + 1/30 + 1/60) / 4 ≈ 108/s
    simulator = sim.Simulator(fleet_of(points), RecordingTransport(), rate=rate, faults=NO_FAULTS, seed=1)

    readings = run_steps(simulator, 240)

    assert simulator.rate == pytest.approx(rate, rel=0.02)
    assert len(readings) / 240 == pytest.approx(rate, rel=0.05)


def test_rate_selection_is_stable_and_a_higher_rate_keeps_the_points_of_a_lower_one():
    points = demo_like_points()
    low = {p.pk for p, _ in sim.select_points(points, rate=20)}
    assert low == {p.pk for p, _ in sim.select_points(reversed(points), rate=20)}
    assert low < {p.pk for p, _ in sim.select_points(points, rate=60)}
    assert {i for _, i in sim.select_points(points, speedup=10)} == {1.0, 1.5, 3.0, 6.0}


def test_phases_are_spread_so_the_load_is_smooth():
    simulator = sim.Simulator(fleet_of(demo_like_points()), RecordingTransport(), faults=NO_FAULTS, seed=1)
    readings = run_steps(simulator, 120)
    per_tick = [sum(1 for t, _g, _r in readings if t == s) for s in range(61, 121)]
    assert max(per_tick) < 1.5 * sum(per_tick) / len(per_tick)


def test_a_gateway_sends_one_batch_per_tick_chunked_to_5000_readings():
    points = [point(pk=k, code=f"P-{k:05d}", period_s=1, gateway_id="gw-big") for k in range(12001)]
    points.append(point(pk=99999, period_s=1, gateway_id="gw-small"))
    simulator = sim.Simulator(fleet_of(points), RecordingTransport(), faults=NO_FAULTS, seed=1)
    simulator.start_wall = time.time() - 10

    requests = simulator.requests(simulator.step(1.0))

    sizes = sorted(len(r) for g, r in requests if g.gateway_id == "gw-big")
    assert sizes == [2001, 5000, 5000] and [len(r) for g, r in requests if g.gateway_id == "gw-small"] == [1]


def test_timestamps_carry_an_offset_and_are_never_in_the_future():
    simulator = sim.Simulator(fleet_of(demo_like_points(200)), RecordingTransport(), faults=NO_FAULTS, seed=1)
    simulator.start_wall = wall_now = time.time()  # slots run ahead of the wall clock here

    batches = simulator.step(30.0, wall_now=wall_now + 5)

    stamps = [dt.datetime.fromisoformat(r["ts"]) for readings in batches.values() for r in readings]
    assert stamps and all(s.utcoffset() == dt.timedelta(0) for s in stamps)
    assert max(s.timestamp() for s in stamps) <= wall_now + 5


# --- the client -----------------------------------------------------------------------------------


class StubIngest(http.server.BaseHTTPRequestHandler):
    """Answers 429 once per gateway, then 202; remembers what it received."""

    protocol_version = "HTTP/1.1"
    seen: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        StubIngest.seen.append((dict(self.headers), body))
        if len(StubIngest.seen) == 1:
            self._answer(429, {"detail": "busy"}, {"Retry-After": "0"})
        elif self.headers["X-Gateway-Id"] == "gw-broken":
            self._answer(500, {"detail": "boom"})
        else:
            readings = json.loads(body)["readings"]
            self._answer(
                202,
                {"accepted": len(readings) - 1, "duplicates": 0, "rejected": [{"index": 0, "error": "unknown point"}]},
            )

    def _answer(self, status, payload, headers=None):
        data = json.dumps(payload).encode()
        self.send_response(status)
        for name, value in {
            "Content-Type": "application/json",
            "Content-Length": str(len(data)),
            **(headers or {}),
        }.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def stub_server():
    StubIngest.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), StubIngest)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_http_client_honours_429_retry_after_then_counts_rejections_and_errors(stub_server):
    transport = sim.HttpTransport(stub_server)
    gateway = sim.SimGateway("gw-1", 1, "s3cret")
    readings = [
        {"point": "A", "ts": sim.iso(time.time()), "value": 1.0},
        {"point": "B", "ts": sim.iso(time.time()), "value": 2.0},
    ]

    result = transport.send(gateway, readings)
    broken = transport.send(sim.SimGateway("gw-broken", 1, "x"), readings)
    transport.close()

    assert (result.accepted, result.rejected, result.retries, result.error) == (1, 1, 1, None)
    assert result.reasons == {"unknown point": 1}
    assert broken.error == "HTTP 500: boom"
    headers, body = StubIngest.seen[1]
    assert json.loads(body) == {"readings": readings}
    assert headers["X-Signature"] == sim.sign("s3cret", headers["X-Timestamp"], body)


def test_a_run_keeps_going_through_errors_and_prints_its_summaries():
    lines = []
    points = [point(pk=n, period_s=0.2) for n in range(5)]
    simulator = sim.Simulator(
        fleet_of(points),
        RecordingTransport(result=ConnectionRefusedError("refused")),
        tick=0.1,
        faults=NO_FAULTS,
        report=lines.append,
        report_every=0.5,
    )

    stats = simulator.run(duration=1.2)

    # Every batch failed and the run went on (counts depend on how busy the machine is).
    assert stats.errors == stats.batches >= 3 and stats.sent >= 15
    assert stats.problems["ConnectionRefusedError: refused"] == stats.errors
    assert sum("errors" in line and line.startswith("[") for line in lines) >= 2
    assert lines[-1].startswith("done after")


# --- against the database -------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _fresh_ingest_caches():
    ingest_module._points.clear()
    ingest_module._secrets.clear()


def plant(region="370102", n_gateways=2):
    ent = enterprise(region)
    facility = Facility.objects.create(
        enterprise=ent, kind=FacilityKind.objects.get(code="tank_farm"), code="TF", name="罐区"
    )
    kinds = {k.code: k for k in MeasurementKind.objects.filter(code__in=["temperature", "combustible_gas", "switch"])}
    specs = [
        ("TI-1", "temperature", {"high": 80, "high_high": 90, "deadband": 1, "range_low": 0, "range_high": 150}),
        ("TI-2", "temperature", {"high": 80, "high_high": 90, "deadband": 1, "range_low": 0, "range_high": 150}),
        ("GT-1", "combustible_gas", {"high": 25, "high_high": 50, "range_low": 0, "range_high": 100}),
        ("XS-1", "switch", {}),
    ]
    for code, kind, fields in specs:
        MonitoringPoint.objects.create(
            enterprise=ent, facility=facility, code=code, name=code, kind=kinds[kind], period_s=10, **fields
        )
    tag = uuid.uuid4().hex[:6]
    gateways = [create_gateway(None, enterprise=ent, gateway_id=f"gw-sim-{tag}-{n}")[0] for n in range(n_gateways)]
    return ent, gateways


def stored_readings(enterprise_id):
    with connection.cursor() as cursor:  # the raw table is not flushed between tests: count this plant's
        cursor.execute(
            "SELECT count(*) FROM monitoring_reading r JOIN monitoring_monitoringpoint p ON p.id = r.point_id"
            " WHERE p.enterprise_id = %s",
            [enterprise_id],
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_load_fleet_takes_points_in_use_of_enabled_gateways_split_between_an_enterprises_gateways():
    ent, gateways = plant()
    MonitoringPoint.objects.filter(code="TI-2").update(in_use=False)
    silent, (off,) = plant("370103", n_gateways=1)
    update_gateway(None, off, is_enabled=False)

    fleet = sim.load_fleet(enterprise_ids=[ent.pk, silent.pk])

    assert {g.gateway_id for g in fleet.gateways} == {g.gateway_id for g in gateways}
    assert sorted(p.code for p in fleet.points) == ["GT-1", "TI-1", "XS-1"]
    split = {p.code: p.gateway_id for p in fleet.points}
    assert set(split.values()) == {g.gateway_id for g in gateways}
    assert split == {p.code: p.gateway_id for p in sim.load_fleet(enterprise_ids=[ent.pk]).points}
    assert next(p for p in fleet.points if p.code == "XS-1").switch
    # The disabled gateway's enterprise is not simulated, so it does not count among the first K.
    assert {g.enterprise_id for g in sim.load_fleet(enterprises=1).gateways} == {ent.pk}


@pytest.mark.django_db
def test_the_simulators_signature_is_accepted_by_the_ingestion_authentication():
    ent, (gateway, _other) = plant()
    fleet = sim.load_fleet(enterprise_ids=[ent.pk])
    sim_gateway = next(g for g in fleet.gateways if g.gateway_id == gateway.gateway_id)
    body = sim.encode([{"point": "TI-1", "ts": sim.iso(time.time()), "value": 21.5}])
    stamp = str(int(time.time()))

    assert authenticate(gateway.gateway_id, stamp, sim.sign(sim_gateway.secret, stamp, body), body) == gateway
    with pytest.raises(IngestRejected):
        authenticate(gateway.gateway_id, stamp, sim.sign(sim_gateway.secret, stamp, body + b" "), body)


@pytest.mark.django_db(transaction=True)
def test_a_run_against_the_live_server_stores_readings_and_its_excursion_raises_an_alarm(live_server):
    ent, gateways = plant()
    out = StringIO()

    call_command(
        "simulate_readings",
        "--url",
        live_server.url,
        "--duration",
        "4",
        "--speedup",
        "10",
        "--tick",
        "0.5",
        "--seed",
        "7",
        "--outage-rate",
        "0",
        "--report-every",
        "2",
        stdout=out,
    )

    output = out.getvalue()
    assert "on 2 gateways of 1 enterprises" in output and "done after" in output, output
    assert "errors 0" in output and "rejected 0" in output, output
    sent = int(re.search(r"sent (\d+) in", output).group(1))
    assert sent >= 12 and stored_readings(ent.pk) == sent  # four points at 1 s for 4 s
    states = PointState.objects.filter(point__enterprise=ent, value__isnull=False)
    assert states.count() == 4
    # The excursion forced in the first seconds (0.5 s at this speed-up) made a real alarm.
    assert Alarm.objects.filter(
        enterprise=ent, side__in=["high", "low"], point__code__in=["TI-1", "TI-2", "GT-1"]
    ).exists()


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_run_over_mqtt_goes_through_the_bridge_into_the_store():
    from apps.monitoring.mqtt_bridge import Bridge, forget_session

    ent, gateways = plant()
    bridge = Bridge(settings.ANQUAN_MQTT_HOST, settings.ANQUAN_MQTT_PORT, client_id=f"test-bridge-{uuid.uuid4().hex}")
    bridge.connect()
    bridge.client.loop_start()
    time.sleep(0.3)  # the bridge's subscription settles
    transport = sim.MqttTransport(
        settings.ANQUAN_MQTT_HOST, settings.ANQUAN_MQTT_PORT, client_prefix=f"test-{uuid.uuid4().hex[:6]}"
    )
    simulator = sim.Simulator(
        sim.load_fleet(enterprise_ids=[ent.pk]), transport, speedup=10, tick=0.5, seed=7, report=lambda line: None
    )
    try:
        stats = simulator.run(duration=3)
        deadline = time.monotonic() + 10
        while stored_readings(ent.pk) < stats.sent and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        bridge.client.loop_stop()
        bridge.stop()
        forget_session(settings.ANQUAN_MQTT_HOST, settings.ANQUAN_MQTT_PORT, bridge.client_id)

    assert stats.sent >= 8 and stats.errors == 0  # four points at 1 s for 3 s
    assert stats.accepted == stats.sent  # every reading acknowledged by the broker
    assert stored_readings(ent.pk) == stats.sent
    assert Alarm.objects.filter(enterprise=ent, side__in=["high", "low"]).exists()
