"""Investigation task cycles (排查任务周期): generated from the list, judged done / pending / overdue,
suspended while the enterprise is shut down, reminded when overdue (DPM-05, DPM-06, DPM-10).

Cycles follow the task's unit in Beijing time: hours are blocks of N hours from local midnight (a block
never crosses midnight), days blocks of N days from the day the task was created, months and years
calendar blocks of N from the task's first month or year. One beat run creates the current cycle of
every live task in one statement and turns past-due pending cycles overdue in another.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import CheckTask, CycleUnit, TaskPeriod

BEIJING = ZoneInfo("Asia/Shanghai")
REMINDED_ROLES = ("enterprise_admin", "enterprise_safety_manager")


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def period_of(cycle: int, unit: str, anchor: dt.date, at: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The cycle containing ``at``: (start, end) as aware datetimes, Beijing local boundaries."""
    cycle = max(int(cycle), 1)
    local = at.astimezone(BEIJING)
    today = local.date()

    def midnight(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(), tzinfo=BEIJING)

    if unit == CycleUnit.HOUR:
        block = (local.hour // cycle) * cycle
        start = midnight(today) + dt.timedelta(hours=block)
        return start, min(start + dt.timedelta(hours=cycle), midnight(today + dt.timedelta(days=1)))
    if unit == CycleUnit.DAY:
        offset = ((today - anchor).days // cycle) * cycle
        start = anchor + dt.timedelta(days=offset)
        return midnight(start), midnight(start + dt.timedelta(days=cycle))
    months_per = cycle * (12 if unit == CycleUnit.YEAR else 1)
    first = dt.date(anchor.year, 1 if unit == CycleUnit.YEAR else anchor.month, 1)
    elapsed = (today.year - first.year) * 12 + today.month - first.month
    start = _add_months(first, (elapsed // months_per) * months_per)
    return midnight(start), midnight(_add_months(start, months_per))


def _shut_down(enterprise_ids: set[int], day: dt.date) -> set[int]:
    from apps.enterprises.models import Shutdown

    return set(
        Shutdown.objects.filter(enterprise_id__in=enterprise_ids, starts_on__lte=day)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day))
        .values_list("enterprise_id", flat=True)
    )


@transaction.atomic
def generate(now: dt.datetime | None = None) -> dict:
    """Create the current cycle of every live task (suspended if its enterprise is shut down today),
    then mark past-due pending cycles overdue and remind their people. Safe to run again."""
    now = now or timezone.now()
    tasks = list(
        CheckTask.objects.filter(deleted=False, measure__deleted=False)
        .order_by()
        .values_list("pk", "enterprise_id", "cycle", "cycle_unit", "created_at")
    )
    stopped = _shut_down({t[1] for t in tasks}, now.astimezone(BEIJING).date())
    rows = []
    for pk, enterprise_id, cycle, unit, created_at in tasks:
        start, end = period_of(cycle, unit, created_at.astimezone(BEIJING).date(), now)
        status = TaskPeriod.Status.SUSPENDED if enterprise_id in stopped else TaskPeriod.Status.PENDING
        rows.append((pk, enterprise_id, start, end, status))
    created = 0
    if rows:
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO prevention_taskperiod (task_id, enterprise_id, starts_at, due_at, status)
                SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::timestamptz[], %s::timestamptz[], %s::text[])
                ON CONFLICT (task_id, starts_at) DO NOTHING
                """,
                [[r[i] for r in rows] for i in range(5)],
            )
            created = cursor.rowcount
    overdue = list(
        TaskPeriod.objects.filter(status=TaskPeriod.Status.PENDING, due_at__lte=now)
        .order_by()
        .values_list("pk", "task_id", "enterprise_id", "due_at")
    )
    if overdue:
        TaskPeriod.objects.filter(pk__in=[o[0] for o in overdue]).update(status=TaskPeriod.Status.OVERDUE)
        transaction.on_commit(lambda: remind([o[0] for o in overdue]))
    return {"tasks": len(tasks), "created": created, "overdue": len(overdue)}


def mark_checked(entries: list[tuple[int, dt.datetime, int | None]]) -> int:
    """Investigation records (task, time, record) close the cycles they fall in. A record dated inside
    a cycle closes it even when it arrives after the cycle was judged overdue (records are uploaded
    hourly): the investigation was on time. A check after the due time falls in a later cycle."""
    changed = 0
    for task_id, checked_at, record_id in entries:
        period = TaskPeriod.objects.filter(task_id=task_id, starts_at__lte=checked_at, due_at__gt=checked_at)
        changed += period.exclude(status=TaskPeriod.Status.DONE).update(
            status=TaskPeriod.Status.DONE, checked_at=checked_at, record_id=record_id
        )
    return changed


def _enterprise_people(enterprise_ids: set[int]) -> dict[int, list[int]]:
    """The active administrators and safety managers of each enterprise, in one query."""
    from apps.accounts.models import User

    people: dict[int, list[int]] = {}
    for user_id, organisation_id in User.objects.filter(
        organisation_id__in=enterprise_ids, groups__role__code__in=REMINDED_ROLES, is_active=True
    ).values_list("pk", "organisation_id"):
        people.setdefault(organisation_id, []).append(user_id)
    return people


def remind(period_ids: list[int]) -> int:
    """Overdue cycles (超期未排查) are notified to the task's responsible person, or the enterprise's
    administrators and safety managers when the task names nobody; one message per person per cycle."""
    from apps.notifications.services import notify

    periods = TaskPeriod.objects.filter(pk__in=period_ids).select_related("task")
    by_enterprise = _enterprise_people({p.enterprise_id for p in periods})
    sent = 0
    for period in periods:
        recipients = (
            [period.task.responsible_id] if period.task.responsible_id else by_enterprise.get(period.enterprise_id, [])
        )
        if not recipients:
            continue
        due = timezone.localtime(period.due_at).strftime("%Y-%m-%d %H:%M")
        sent += len(
            notify(
                recipients,
                kind="investigation_overdue",
                title=_("Investigation task overdue"),
                body=_("%(content)s was due by %(due)s and has not been investigated.")
                % {
                    "content": period.task.content[:100],
                    "due": due,
                },
                level="warning",
                target=period.task,
                dedupe_key=f"prevention.period:{period.pk}",
            )
        )
    return sent


def remind_overdue_dangers(now: dt.datetime | None = None) -> int:
    """Hidden dangers past their rectification deadline and not accepted (逾期未整改隐患) are notified
    to the enterprise's administrators and safety managers once a Beijing day each (DPM-10), until
    they are accepted. A danger of the dual-prevention list, entered or received."""
    from apps.notifications.services import notify

    from .models import DangerState, HiddenDanger

    now = now or timezone.now()
    day = now.astimezone(BEIJING).date().isoformat()
    dangers = list(
        HiddenDanger.objects.filter(deleted=False, deadline__lt=now)
        .exclude(state=DangerState.ACCEPTED)
        .order_by("deadline")
        .only("pk", "enterprise_id", "name", "deadline", "level")
    )
    people = _enterprise_people({d.enterprise_id for d in dangers})
    sent = 0
    for danger in dangers:
        recipients = people.get(danger.enterprise_id)
        if not recipients:
            continue
        sent += len(
            notify(
                recipients,
                kind="hidden_danger_overdue",
                title=_("Hidden danger overdue for rectification"),
                body=_("%(name)s was to be rectified by %(deadline)s.")
                % {
                    "name": danger.name,
                    "deadline": timezone.localtime(danger.deadline).strftime("%Y-%m-%d %H:%M"),
                },
                level="danger" if danger.level == 1 else "warning",
                target=danger,
                dedupe_key=f"prevention.danger:{danger.pk}:{day}",
            )
        )
    return sent
