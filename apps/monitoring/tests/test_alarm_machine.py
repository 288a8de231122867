"""The alarm state machine: thresholds, deadband, delays, escalation, flapping input."""

import datetime as dt

from apps.monitoring.alarms import HIGH, HIGH_HIGH, LOW, NORMAL, STATE, Limits, Tracker, step

T0 = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)


def run(values, limits, every_s=1):
    tracker, transitions = Tracker(), []
    for n, value in enumerate(values):
        change = step(tracker, value, T0 + dt.timedelta(seconds=n * every_s), limits)
        if change:
            transitions.append(change)
    return transitions, tracker.level


def test_crossing_high_raises_and_returning_clears():
    assert run([50, 81, 85, 60], Limits(high=80)) == ([(NORMAL, HIGH), (HIGH, NORMAL)], NORMAL)


def test_flapping_at_the_limit_makes_one_alarm_with_a_deadband():
    values = [79.5, 80.2, 79.8, 80.1, 79.6, 80.3, 79.9, 75]
    assert run(values, Limits(high=80, deadband=2)) == ([(NORMAL, HIGH), (HIGH, NORMAL)], NORMAL)
    # Without the deadband the same input makes four alarms.
    transitions, _ = run(values, Limits(high=80))
    assert transitions.count((NORMAL, HIGH)) == 3


def test_escalation_and_de_escalation_in_place():
    transitions, level = run([70, 85, 95, 85, 70], Limits(high=80, high_high=90))
    assert transitions == [(NORMAL, HIGH), (HIGH, HIGH_HIGH), (HIGH_HIGH, HIGH), (HIGH, NORMAL)]
    assert level == NORMAL


def test_raise_delay_ignores_short_spikes():
    limits = Limits(high=80, raise_delay=5)
    assert run([70, 90, 70, 90, 70], limits) == ([], NORMAL)
    transitions, level = run([70] + [90] * 7, limits)
    assert transitions == [(NORMAL, HIGH)] and level == HIGH


def test_stay_clear_time_before_clearing():
    limits = Limits(high=80, clear_delay=3)
    transitions, level = run([90, 70, 90, 70, 70, 70, 70], limits)
    assert transitions == [(NORMAL, HIGH), (HIGH, NORMAL)] and level == NORMAL
    assert run([90, 70, 70], limits) == ([(NORMAL, HIGH)], HIGH)


def test_low_side_and_crossing_from_high_to_low():
    transitions, _ = run([50, 5, 2, 50, 95, 1], Limits(low_low=3, low=10, high=90))
    assert transitions == [(NORMAL, LOW), (LOW, "low_low"), ("low_low", NORMAL), (NORMAL, HIGH), (HIGH, "low_low")]


def test_switch_signals_alarm_on_state():
    assert run([0, 1, 1, 0], Limits(switch=True)) == ([(NORMAL, STATE), (STATE, NORMAL)], NORMAL)
    assert run([1, 0], Limits(switch=True, alarm_value=0)) == ([(NORMAL, STATE)], STATE)
