"""Subscriptions (订阅): which dataset goes to which partner on which schedule (DX-03).

Adding an exchanged type is adding a row: the dataset is named directly or through a resource type
of the catalogue (``fixtures/exchange/catalog.json``), so no code changes. Views authorise; these
verbs validate and write.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from apps.core.exceptions import ConflictError, InvalidInput

from . import catalog, specs
from .models import OutboxEntry, Partner, Subscription


def resolve_dataset(dataset: str | None = None, resource_type: str | None = None) -> specs.DatasetSpec:
    """The dataset named directly, or served for a resource type (its code, or a dataset name)."""
    dataset = (dataset or "").strip() or None
    resource_type = (resource_type or "").strip() or None
    if dataset is None and resource_type is None:
        raise InvalidInput(_("Name a dataset or a resource type."), field="dataset")
    from_type = None
    if resource_type is not None:
        entry = catalog.resource_type(resource_type)
        if entry is not None:
            if not entry["dataset"]:
                raise InvalidInput(
                    _("Resource type %(code)s is not provided yet: no dataset serves it.") % {"code": resource_type},
                    field="resourceType",
                )
            from_type = specs.get(entry["dataset"])
        else:
            from_type = specs.get(resource_type)
        if from_type is None:
            raise InvalidInput(_("Unknown resource type %(code)s.") % {"code": resource_type}, field="resourceType")
    if dataset is not None:
        spec = specs.get(dataset)
        if spec is None:
            raise InvalidInput(_("Unknown dataset %(name)s.") % {"name": dataset}, field="dataset")
        if from_type is not None and from_type.dataset != spec.dataset:
            raise InvalidInput(
                _("Resource type %(code)s is served by %(served)s, not %(name)s.")
                % {"code": resource_type, "served": from_type.dataset, "name": spec.dataset},
                field="resourceType",
            )
        return spec
    return from_type


def _check_schedule(schedule: str) -> str:
    if schedule not in Subscription.Schedule.values:
        raise InvalidInput(
            _("Unknown schedule; use: %(values)s.") % {"values": ", ".join(Subscription.Schedule.values)},
            field="schedule",
        )
    return schedule


def subscribe(
    partner: Partner,
    *,
    dataset: str | None = None,
    resource_type: str | None = None,
    schedule: str | None = None,
    enabled: bool = True,
) -> Subscription:
    """Send ``dataset`` to ``partner``; the schedule defaults to the dataset's upload frequency."""
    spec = resolve_dataset(dataset, resource_type)
    schedule = _check_schedule(schedule or spec.frequency_class)
    if Subscription.objects.filter(partner=partner, dataset=spec.dataset).exists():
        raise InvalidInput(
            _("%(partner)s already receives %(dataset)s.") % {"partner": partner.name, "dataset": spec.dataset},
            field="dataset",
        )
    try:
        with transaction.atomic():
            return Subscription.objects.create(
                partner=partner, dataset=spec.dataset, schedule=schedule, enabled=enabled
            )
    except IntegrityError as exc:  # a concurrent request created the same pair
        raise InvalidInput(
            _("%(partner)s already receives %(dataset)s.") % {"partner": partner.name, "dataset": spec.dataset},
            field="dataset",
        ) from exc


def change(subscription: Subscription, *, schedule: str | None = None, enabled: bool | None = None) -> Subscription:
    """Change the schedule or pause/resume a subscription (its backlog stays in order)."""
    fields = []
    if schedule is not None:
        subscription.schedule = _check_schedule(schedule)
        fields.append("schedule")
    if enabled is not None:
        subscription.enabled = enabled
        fields.append("enabled")
    if fields:
        subscription.save(update_fields=[*fields, "updated_at"])
    return subscription


def unsubscribe(subscription: Subscription, *, force: bool = False) -> None:
    """Remove a subscription. Its undelivered entries would go with it (the outbox cascades), so a
    subscription with a backlog is only removed when asked to drop it; pausing keeps it."""
    pending = subscription.entries.filter(status=OutboxEntry.Status.PENDING).count()
    if pending and not force:
        raise ConflictError(
            _("%(count)s records are still waiting to be sent; disable the subscription or delete with force=true.")
            % {"count": pending}
        )
    subscription.delete()
