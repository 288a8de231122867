"""Thin Celery tasks over the grading and warning services."""

import logging

from celery import shared_task

log = logging.getLogger("anquan.risk")


@shared_task(name="risk.regrade_all", time_limit=600, soft_time_limit=540)
def regrade_all() -> dict:
    """Every enterprise, then every region (the regional models read the enterprises' new results).
    The two write in separate transactions: a failure grading regions keeps the enterprise results."""
    from django.db import transaction

    from .services.grading import regrade
    from .services.regions import grade_regions

    summary = regrade(trigger="periodic")
    try:
        with transaction.atomic():  # its own transaction (a savepoint when called inside one)
            summary["regions"] = grade_regions()
    except Exception as exc:  # noqa: BLE001 — the enterprise results stand; the next run retries the regions
        log.exception("regional risk grading failed")
        summary["regions"] = {"error": str(exc)}
    return summary


@shared_task(name="risk.regrade_requested", time_limit=300, soft_time_limit=240)
def regrade_requested() -> dict:
    """Grade every enterprise asked for since the last run (alarms, self-assessments): one run per
    debounce window, whatever the number of requests."""
    from .services.grading import regrade, take_requested

    ids = take_requested()
    return regrade(ids, trigger="event") if ids else {"graded": 0}


@shared_task(name="risk.regrade_model", time_limit=600, soft_time_limit=540)
def regrade_model(model_id: int) -> dict:
    from apps.enterprises.models import Enterprise

    from .models import RiskModel
    from .services.grading import regrade

    model = RiskModel.objects.filter(pk=model_id).first()
    if model is not None and model.kind == "region":  # a region model grades regions, not enterprises
        from .services.regions import grade_regions

        return grade_regions(model)
    if model is None or model.industry_id is None:
        return {"graded": 0}
    ids = list(Enterprise.objects.filter(industries=model.industry_id).values_list("pk", flat=True))
    return regrade(ids, trigger="model")


@shared_task(name="risk.warnings_tick", time_limit=120, soft_time_limit=100)
def warnings_tick() -> dict:
    from .services.warnings import tick

    return tick()


@shared_task(name="risk.calibrate_models", time_limit=1800, soft_time_limit=1700)
def calibrate_models() -> list:
    """Monthly: propose recalibrated weights (drafts) for every model from the last year's incidents."""
    from .services.calibration import calibrate_all

    return calibrate_all()
