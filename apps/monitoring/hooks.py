"""Hooks for apps above monitoring: they register here instead of monitoring importing them."""

from collections.abc import Callable, Iterable

_alarm_listeners: list[Callable[[Iterable[int]], None]] = []


def on_alarm_changes(listener: Callable[[Iterable[int]], None]) -> None:
    """``listener(enterprise_ids)`` is called, inside the processing transaction, with the enterprises
    whose alarms were raised, escalated, de-escalated or cleared (risk regrades them)."""
    if listener not in _alarm_listeners:
        _alarm_listeners.append(listener)


def alarms_changed(enterprise_ids: Iterable[int]) -> None:
    ids = set(enterprise_ids)
    if not ids:
        return
    for listener in _alarm_listeners:
        listener(ids)
