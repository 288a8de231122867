"""Dual prevention (双重预防): the risk graded-control list (风险分级管控清单) — risk analysis units,
their risk events and control measures — the investigation tasks and records (隐患排查), and the
hidden dangers (隐患) with their governance.

One model, two sources: a row is entered in our portal (or imported), or received through the
province's exchange from an enterprise using another vendor's system (``source``). Either way it
carries the 36-character key the exchange tables use (``uid``), so it is sent upward and received
again under the same key, and children refer to parents by that key until the parent is here.
Code fields hold the province's codes exactly (``specs_choices`` reads them from the table files).
"""

import uuid

from django.conf import settings
from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.models import SoftDeleteModel
from apps.core.scoping import ScopedQuerySet


def specs_choices(dataset: str, field_id: str) -> list[tuple[str, str]]:
    """The code list of one exchange table field as model choices (the table files are the truth)."""
    from apps.exchange import specs

    spec = specs.get(dataset)
    field = spec.field(field_id) if spec else None
    return [(code, name) for code, name in (field.codes if field else {}).items()]


class Source(models.TextChoices):
    PORTAL = "portal", _("Entered in the portal")
    IMPORT = "import", _("Imported from Excel")
    EXCHANGE = "exchange", _("Received through the exchange")


class CycleUnit(models.TextChoices):
    """巡检周期单位: the table's words are the values."""

    HOUR = "小时", _("hour")
    DAY = "天", _("day")
    MONTH = "月", _("month")
    YEAR = "年", _("year")


class RiskLevel(models.IntegerChoices):
    """Four colours (decision 3): 1 重大/红 … 4 低/蓝."""

    MAJOR = 1, _("Major (red)")
    LARGE = 2, _("Large (orange)")
    GENERAL = 3, _("General (yellow)")
    LOW = 4, _("Low (blue)")


class DangerState(models.IntegerChoices):
    RECTIFYING = 0, _("Under rectification")
    AWAITING_ACCEPTANCE = 1, _("Awaiting acceptance")
    ACCEPTED = 9, _("Accepted")


class PreventionQuerySet(ScopedQuerySet):
    def live(self):
        return self.filter(deleted=False)


class PreventionRecord(SoftDeleteModel):
    """What every row of the dual-prevention tables has: its enterprise, its exchange key and where it
    came from. ``enterprise`` is on every row (not only the unit) so scoping is one join."""

    uid = models.UUIDField(_("key"), default=uuid.uuid4, unique=True, editable=False)
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name=_("enterprise"), on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.PORTAL)
    received_from = models.ForeignKey(
        "exchange.ExchangeClient", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    scope_organisation_field = "enterprise__organisation"
    objects = PreventionQuerySet.as_manager()

    class Meta:
        abstract = True


class RiskUnit(PreventionRecord):
    """Risk analysis unit (风险分析单元) of a risk analysis object (风险分析对象): a major hazard source
    of the registry, or a production unit, tank farm or warehouse area the enterprise names itself."""

    class ObjectKind(models.TextChoices):
        PRODUCTION_UNIT = "production_unit", _("Production unit")
        TANK_FARM = "tank_farm", _("Tank farm")
        WAREHOUSE = "warehouse", _("Warehouse area")
        OTHER = "other", _("Other")

    class Method(models.TextChoices):
        LEC = "LEC", _("LEC (operating conditions)")
        LS = "LS", _("Risk matrix (LS)")
        MES = "MES", _("MES")
        HAZOP = "HAZOP", _("HAZOP")
        OTHER = "other", _("Other")

    hazard_source = models.ForeignKey(
        "hazards.HazardSource", on_delete=models.SET_NULL, null=True, blank=True, related_name="risk_units"
    )
    object_code = models.CharField(_("risk analysis object code"), max_length=36)  # HAZARD_CODE
    object_name = models.CharField(_("risk analysis object"), max_length=200, blank=True)
    object_kind = models.CharField(_("object kind"), max_length=20, choices=ObjectKind.choices, blank=True)
    department = models.CharField(_("responsible department"), max_length=200)  # HAZARD_DEP
    liable_person = models.CharField(_("responsible person"), max_length=200)  # HAZARD_LIABLE_PERSON
    name = models.CharField(_("risk analysis unit"), max_length=200)  # RISK_UNIT_NAME
    risk_level = models.PositiveSmallIntegerField(_("risk level"), choices=RiskLevel.choices, null=True, blank=True)
    assessment_method = models.CharField(_("assessment method"), max_length=10, choices=Method.choices, blank=True)
    location = models.PointField(_("location"), srid=4326, null=True, blank=True)

    class Meta:
        verbose_name = _("risk analysis unit")
        verbose_name_plural = _("risk analysis units")
        ordering = ["enterprise", "name"]
        indexes = [models.Index(fields=["enterprise", "deleted"], name="prevention_unit_ent_idx")]

    def __str__(self):
        return self.name


class RiskEvent(PreventionRecord):
    """Risk event (风险事件) of a risk analysis unit."""

    unit = models.ForeignKey(RiskUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="events")
    unit_uid = models.UUIDField(_("risk analysis unit key"), db_index=True)  # RISK_UNIT_ID, also before it arrives
    name = models.CharField(_("risk event"), max_length=100)  # RISK_EVENT_NAME

    class Meta:
        verbose_name = _("risk event")
        verbose_name_plural = _("risk events")
        ordering = ["unit", "name"]

    def __str__(self):
        return self.name


class ControlMeasure(PreventionRecord):
    """Control measure (管控措施) of a risk event, with its classes and what to check (隐患排查内容)."""

    event = models.ForeignKey(RiskEvent, on_delete=models.PROTECT, null=True, blank=True, related_name="measures")
    event_uid = models.UUIDField(_("risk event key"), db_index=True)  # RISK_EVENT_ID
    data_src = models.CharField(
        _("control by"), max_length=2, choices=specs_choices("control-measures", "DATA_SRC"), blank=True
    )
    description = models.CharField(_("control measure"), max_length=1000)  # RISK_MEASURE_DESC
    classify1 = models.CharField(_("class 1"), max_length=2, choices=specs_choices("control-measures", "CLASSIFY1"))
    classify2 = models.CharField(_("class 2"), max_length=4, choices=specs_choices("control-measures", "CLASSIFY2"))
    classify3 = models.CharField(_("class 3"), max_length=100, blank=True)
    troubleshoot_content = models.CharField(_("investigation content"), max_length=1000)

    class Meta:
        verbose_name = _("control measure")
        verbose_name_plural = _("control measures")
        ordering = ["event", "id"]

    def __str__(self):
        return self.description[:60]


class CheckTask(PreventionRecord):
    """Investigation task (隐患排查任务): what to check for a control measure, how often, by which post,
    and the result of the latest check."""

    measure = models.ForeignKey(ControlMeasure, on_delete=models.PROTECT, null=True, blank=True, related_name="tasks")
    measure_uid = models.UUIDField(_("control measure key"), db_index=True)  # RISK_MEASURE_ID
    content = models.CharField(_("investigation content"), max_length=1000)  # TROUBLESHOOT_CONTENT
    cycle = models.PositiveIntegerField(_("cycle"))  # CHECK_CYCLE
    cycle_unit = models.CharField(_("cycle unit"), max_length=4, choices=CycleUnit.choices)
    post = models.CharField(_("post"), max_length=100, blank=True)  # 岗位: who is pushed the task
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    last_checked_at = models.DateTimeField(_("latest investigation"), null=True, blank=True)  # INVESTIGATION_DATE
    last_status = models.CharField(
        _("latest result"), max_length=1, choices=specs_choices("check-tasks", "CHECK_STATUS"), default="2"
    )

    class Meta:
        verbose_name = _("investigation task")
        verbose_name_plural = _("investigation tasks")
        ordering = ["measure", "id"]

    def __str__(self):
        return self.content[:60]


class CheckRecord(PreventionRecord):
    """Investigation record (排查记录): one execution of a task, its time, person and result."""

    task = models.ForeignKey(CheckTask, on_delete=models.PROTECT, null=True, blank=True, related_name="records")
    task_uid = models.UUIDField(_("investigation task key"), db_index=True)  # CHECK_TASK_ID
    checked_at = models.DateTimeField(_("investigated at"))  # CHECK_TIME
    status = models.CharField(_("result"), max_length=1, choices=specs_choices("check-records", "CHECK_STATUS"))
    inspector = models.CharField(_("inspector"), max_length=100, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("investigation record")
        verbose_name_plural = _("investigation records")
        ordering = ["-checked_at"]
        indexes = [models.Index(fields=["enterprise", "-checked_at"], name="prevention_record_ent_idx")]


class HiddenDanger(PreventionRecord):
    """Hidden danger (隐患) and its governance (治理): registered from any source (DANGER_SRC), rectified
    and accepted (整改中 → 待验收 → 已验收), with the ledger fields of the guide (DPM-07)."""

    object_code = models.CharField(_("risk analysis object code"), max_length=36)  # HAZARD_CODE
    hazard_source = models.ForeignKey(
        "hazards.HazardSource", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    measure = models.ForeignKey(
        ControlMeasure, on_delete=models.SET_NULL, null=True, blank=True, related_name="hidden_dangers"
    )
    measure_uid = models.UUIDField(_("control measure key"), null=True, blank=True, db_index=True)
    name = models.CharField(_("hidden danger"), max_length=100)  # DANGER_NAME
    level = models.PositiveSmallIntegerField(
        _("level"), choices=[(int(k), v) for k, v in specs_choices("hazards", "DANGER_LEVEL")]
    )
    registered_at = models.DateTimeField(_("registered at"))  # REGIST_TIME
    registrant = models.CharField(_("registered by"), max_length=100)
    origin = models.CharField(_("found by"), max_length=4, choices=specs_choices("hazards", "DANGER_SRC"))
    manage_type = models.PositiveSmallIntegerField(
        _("governance"), choices=[(int(k), v) for k, v in specs_choices("hazards", "DANGER_MANAGE_TYPE")]
    )
    danger_type = models.PositiveSmallIntegerField(
        _("type"), choices=[(int(k), v) for k, v in specs_choices("hazards", "HAZARD_DANGER_TYPE")]
    )
    description = models.CharField(_("description"), max_length=1000)  # DANGER_DESC
    reason = models.CharField(_("cause analysis"), max_length=1000, blank=True)
    liable_person = models.CharField(_("rectification responsible person"), max_length=100)
    deadline = models.DateTimeField(_("rectification deadline"))  # DANGER_MANAGE_DEADLINE
    accept_person = models.CharField(_("accepted by"), max_length=50, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accept_comment = models.CharField(_("acceptance"), max_length=1000, blank=True)
    state = models.PositiveSmallIntegerField(_("state"), choices=DangerState.choices, default=DangerState.RECTIFYING)
    # The guide's ledger (DPM-07) beyond the exchange table.
    department = models.CharField(_("investigating department"), max_length=200, blank=True)
    investigators = models.CharField(_("investigators"), max_length=200, blank=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    basis = models.CharField(_("basis of judgement"), max_length=1000, blank=True)
    responsible_unit = models.CharField(_("rectification responsible unit"), max_length=200, blank=True)
    funds = models.DecimalField(_("rectification funds (yuan)"), max_digits=14, decimal_places=2, null=True, blank=True)
    funds_source = models.CharField(_("source of funds"), max_length=200, blank=True)
    rectification = models.TextField(_("rectification carried out"), blank=True)
    rectified_on = models.DateField(_("rectification completed on"), null=True, blank=True)
    accepting_unit = models.CharField(_("accepting unit"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("hidden danger")
        verbose_name_plural = _("hidden dangers")
        ordering = ["-registered_at"]
        indexes = [
            models.Index(fields=["enterprise", "state", "deadline"], name="prevention_danger_state_idx"),
            models.Index(fields=["enterprise", "-registered_at"], name="prevention_danger_ent_idx"),
        ]

    def __str__(self):
        return self.name


class TaskPeriod(models.Model):
    """One cycle of an investigation task (排查任务周期): generated from the list by the task's cycle, in
    Beijing time, and judged 已排查 (done), 未排查 (pending), 超期未排查 (overdue) or, while the
    enterprise is shut down for overhaul, suspended (停产检修暂停)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Not investigated")
        DONE = "done", _("Investigated")
        OVERDUE = "overdue", _("Overdue, not investigated")
        SUSPENDED = "suspended", _("Suspended (shut down)")

    task = models.ForeignKey(CheckTask, on_delete=models.CASCADE, related_name="periods")
    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField(_("from"))
    due_at = models.DateTimeField(_("due"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    checked_at = models.DateTimeField(_("investigated at"), null=True, blank=True)
    record = models.ForeignKey(CheckRecord, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    scope_organisation_field = "enterprise__organisation"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("investigation task cycle")
        verbose_name_plural = _("investigation task cycles")
        ordering = ["-starts_at"]
        constraints = [models.UniqueConstraint(fields=["task", "starts_at"], name="prevention_period_unique")]
        indexes = [
            models.Index(fields=["status", "due_at"], name="prevention_period_due_idx"),
            models.Index(fields=["enterprise", "-starts_at"], name="prevention_period_ent_idx"),
        ]


class HiddenDangerStep(models.Model):
    """One step of a hidden danger's governance (隐患治理记录): registered, rectified (整改), accepted
    (验收) or sent back, with who, when, what was said and the photos taken."""

    class Action(models.TextChoices):
        REGISTERED = "registered", _("Registered")
        RECTIFIED = "rectified", _("Rectified")
        ACCEPTED = "accepted", _("Accepted")
        SENT_BACK = "sent_back", _("Sent back for rectification")
        UPDATED = "updated", _("Updated")

    danger = models.ForeignKey(HiddenDanger, on_delete=models.CASCADE, related_name="steps")
    action = models.CharField(_("action"), max_length=12, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_name = models.CharField(_("by"), max_length=100, blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True)
    comment = models.TextField(_("comment"), blank=True)
    photos = models.JSONField(_("photos"), default=list, blank=True)  # stored file names
    state_after = models.PositiveSmallIntegerField(_("state after"), choices=DangerState.choices)

    class Meta:
        verbose_name = _("hidden danger step")
        verbose_name_plural = _("hidden danger steps")
        ordering = ["danger", "at", "id"]
