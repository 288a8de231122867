"""Grading (风险研判): every enterprise's current level from its model, in bulk.

A run picks each enterprise's model (its first industry, by the industries' order, that has an
active model), fetches every indicator's raw values for all its enterprises in one query per source,
scores them in memory (``engine.evaluate``) and writes in a few statements: a new ``RiskAssessment``
only where the result changed, the current ``EnterpriseRisk`` rows, the day's ``RiskDay`` rows.
A rise in level (跳级) raises a warning; a return lets open warnings recover.

Periodic runs grade everything (beat); an alarm raised or cleared, a new self-assessment or
indicator report asks for the enterprise to be regraded soon (``request_regrade``): requests are
collected in a Redis set and one task per debounce window grades them together.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import defaultdict

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .. import engine, sources
from ..models import EnterpriseRisk, RiskAssessment, RiskModelVersion

log = logging.getLogger("anquan.risk")

DIRTY_KEY = "anquan:risk:dirty"
SCHEDULED_KEY = "anquan:risk:dirty:scheduled"

MODEL_OF_ENTERPRISE_SQL = """
SELECT DISTINCT ON (e.organisation_id) e.organisation_id, m.current_version_id
  FROM enterprises_enterprise e
  JOIN enterprises_enterprise_industries ei ON ei.enterprise_id = e.organisation_id
  JOIN enterprises_industry i ON i.id = ei.industry_id
  JOIN risk_riskmodel m ON m.industry_id = i.id AND m.is_active AND m.kind = 'enterprise'
                        AND m.current_version_id IS NOT NULL
 WHERE NOT e.deleted AND e.status <> 'closed' {only}
 ORDER BY e.organisation_id, i.sort_order, i.code
"""


def models_of(enterprise_ids=None) -> dict[int, list[int]]:
    """Version id in force → the enterprises it grades."""
    only, params = "", []
    if enterprise_ids is not None:
        only, params = "AND e.organisation_id = ANY(%s)", [list(enterprise_ids)]
    with connection.cursor() as cursor:
        cursor.execute(MODEL_OF_ENTERPRISE_SQL.format(only=only), params)
        rows = cursor.fetchall()
    by_version: dict[int, list[int]] = defaultdict(list)
    for enterprise_id, version_id in rows:
        by_version[version_id].append(enterprise_id)
    return by_version


def gather(enterprise_ids=None, at: dt.datetime | None = None):
    """Read and score without writing: ``{enterprise_id: (version, Result)}`` (also the bench's floor)."""
    at = at or timezone.now()
    by_version = models_of(enterprise_ids)
    versions = RiskModelVersion.objects.select_related("model").in_bulk(list(by_version))
    results = {}
    for version_id, ids in by_version.items():
        version = versions[version_id]
        values = sources.fetch(sources.Context(ids, at), engine.leaves(version.definition))
        for enterprise_id in ids:
            results[enterprise_id] = (version, engine.evaluate(version.definition, values[enterprise_id]))
    return results


def regrade(enterprise_ids=None, *, trigger: str = "periodic", at: dt.datetime | None = None) -> dict:
    """Grade ``enterprise_ids`` (all enterprises when None) and act on every change of level."""
    at = at or timezone.now()
    results = gather(enterprise_ids, at)
    with transaction.atomic():
        summary = _write(results, at, trigger, enterprise_ids)
    return summary


def _write(results: dict, at, trigger: str, requested) -> dict:
    from . import warnings

    epsilon = settings.ANQUAN_RISK_SCORE_EPSILON
    current = {
        row.enterprise_id: row
        for row in EnterpriseRisk.objects.filter(enterprise_id__in=list(results)).only(
            "enterprise_id", "level", "score", "model_id", "assessment_id", "level_since", "previous_level"
        )
    }
    old_versions = dict(
        RiskAssessment.objects.filter(
            pk__in=[r.assessment_id for r in current.values() if r.assessment_id]
        ).values_list("pk", "version_id")
    )
    changed, unchanged = [], []
    for enterprise_id, (version, result) in results.items():
        row = current.get(enterprise_id)
        same = (
            row is not None
            and row.level == result.level
            and old_versions.get(row.assessment_id) == version.pk
            and (row.score is None) == (result.score is None)
            and (result.score is None or abs(row.score - result.score) < epsilon)
        )
        (unchanged if same else changed).append(enterprise_id)
    assessments = _insert_assessments(
        [
            RiskAssessment(
                enterprise_id=e,
                version=results[e][0],
                assessed_at=at,
                score=results[e][1].score,
                level=results[e][1].level,
                coverage=results[e][1].coverage,
                inputs=results[e][1].inputs,
                breakdown=results[e][1].breakdown,
                rule=results[e][1].rule,
                trigger=trigger,
            )
            for e in changed
        ]
    )
    by_enterprise = {a.enterprise_id: a for a in assessments}
    rows, rises, level_changes = [], [], {}
    for enterprise_id in changed:
        version, result = results[enterprise_id]
        old = current.get(enterprise_id)
        old_level = old.level if old else None
        level_changed = old is None or old_level != result.level
        rows.append(
            EnterpriseRisk(
                enterprise_id=enterprise_id,
                model_id=version.model_id,
                assessment=by_enterprise[enterprise_id],
                level=result.level,
                score=result.score,
                assessed_at=at,
                level_since=at if level_changed else old.level_since,
                previous_level=old_level if level_changed else old.previous_level,
            )
        )
        if level_changed and old is not None:
            level_changes[enterprise_id] = result.level
            if old_level is not None and result.level is not None and result.level < old_level:
                rises.append((enterprise_id, old_level, by_enterprise[enterprise_id], old.assessment_id))
    EnterpriseRisk.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["enterprise"],
        update_fields=["model", "assessment", "level", "score", "assessed_at", "level_since", "previous_level"],
        batch_size=1000,
    )
    with connection.cursor() as cursor:
        if unchanged:
            cursor.execute(
                "UPDATE risk_enterpriserisk SET assessed_at = %s WHERE enterprise_id = ANY(%s)", [at, unchanged]
            )
        # Enterprises asked for but no longer graded (closed, deleted, no model): no current level.
        if requested is None:
            cursor.execute(
                "UPDATE risk_enterpriserisk SET level = NULL, score = NULL, assessed_at = %s, level_since = %s"
                " WHERE level IS NOT NULL AND NOT (enterprise_id = ANY(%s))",
                [at, at, list(results)],
            )
        else:
            cursor.execute(
                "UPDATE risk_enterpriserisk SET level = NULL, score = NULL, assessed_at = %s, level_since = %s"
                " WHERE level IS NOT NULL AND enterprise_id = ANY(%s)",
                [at, at, list(set(requested) - set(results))],
            )
    _record_day(results, at)
    warnings.raise_for_rises(rises, at)
    warnings.note_levels(level_changes, at)
    return {"graded": len(results), "changed": len(changed), "rises": len(rises), "at": at.isoformat()}


ASSESSMENT_COLUMNS = (
    "id",
    "enterprise_id",
    "version_id",
    "assessed_at",
    "score",
    "level",
    "coverage",
    "inputs",
    "breakdown",
    "rule",
    "trigger",
)


def _insert_assessments(assessments: list[RiskAssessment]) -> list[RiskAssessment]:
    """Store new assessments with COPY, their ids drawn from the table's sequence first so the current
    results and warnings can refer to them. (``bulk_create`` sends each column as an array literal
    quoted client-side in Python; for the JSON breakdowns of a full run that quoting alone took about
    three quarters of the run — docs/performance.md, "Risk grading".)"""
    if not assessments:
        return assessments
    table = RiskAssessment._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, len(assessments)]
        )
        ids = [row[0] for row in cursor.fetchall()]
        with cursor.copy(f"COPY {table} ({', '.join(ASSESSMENT_COLUMNS)}) FROM STDIN") as copy:
            for pk, a in zip(ids, assessments, strict=True):
                a.pk = pk
                a._state.adding, a._state.db = False, connection.alias
                copy.write_row(
                    (pk, a.enterprise_id, a.version_id, a.assessed_at, a.score, a.level, a.coverage)
                    + (json.dumps(a.inputs, ensure_ascii=False), json.dumps(a.breakdown, ensure_ascii=False))
                    + (a.rule, a.trigger)
                )
    return assessments


def _record_day(results: dict, at) -> None:
    """Fold this run into each enterprise's row of the (Beijing) day."""
    day = timezone.localdate(at)
    ids, levels, scores = [], [], []
    for enterprise_id, (_version, result) in results.items():
        ids.append(enterprise_id)
        levels.append(result.level)
        scores.append(result.score)
    if not ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO risk_riskday (enterprise_id, day, worst_level, max_score, last_level, last_score)
            SELECT e, %(day)s, l, s, l, s FROM unnest(%(ids)s::bigint[], %(levels)s::smallint[], %(scores)s::float8[]) AS t(e, l, s)
            ON CONFLICT (enterprise_id, day) DO UPDATE SET
              worst_level = LEAST(risk_riskday.worst_level, EXCLUDED.worst_level),
              max_score = GREATEST(risk_riskday.max_score, EXCLUDED.max_score),
              last_level = EXCLUDED.last_level, last_score = EXCLUDED.last_score
            """,
            {"day": day, "ids": ids, "levels": levels, "scores": scores},
        )


def request_regrade(enterprise_ids) -> None:
    """Ask for these enterprises to be regraded soon (debounced, after commit). Losing a request to a
    Redis outage costs only latency: the periodic run grades everyone anyway."""
    ids = [int(e) for e in set(enterprise_ids)]
    if not ids:
        return

    def schedule():
        from django_redis import get_redis_connection

        from ..tasks import regrade_requested

        try:
            redis = get_redis_connection("default")
            redis.sadd(DIRTY_KEY, *ids)
            debounce = settings.ANQUAN_RISK_DEBOUNCE_SECONDS
            if redis.set(SCHEDULED_KEY, 1, nx=True, ex=max(1, debounce * 10)):
                regrade_requested.apply_async(countdown=debounce)
        except Exception:  # noqa: BLE001 — never fail the caller's committed work over a regrade request
            log.exception("regrade request for %d enterprises not queued", len(ids))

    transaction.on_commit(schedule)


def take_requested() -> list[int]:
    """The enterprises asked for since the last take (and re-arm scheduling for later requests)."""
    from django_redis import get_redis_connection

    redis = get_redis_connection("default")
    redis.delete(SCHEDULED_KEY)
    pipe = redis.pipeline()
    pipe.smembers(DIRTY_KEY)
    pipe.delete(DIRTY_KEY)
    members, _deleted = pipe.execute()
    return sorted(int(m) for m in members)
