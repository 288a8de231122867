"""Four-colour risk grading (风险分级) and early warnings (预警) that close the loop.

A risk model (风险研判模型) per industry turns an enterprise's data into indicator values, weights them
into a risk score (0–100, higher is riskier) and maps the score to a level: 1 red 重大, 2 orange 较大,
3 yellow 一般, 4 blue 低 (RSK-14). Models are versioned data (``RiskModelVersion.definition``), so a
regulator can change indicators, weights and thresholds with history, and every result
(``RiskAssessment``) keeps its inputs and version so it can be reproduced.
"""

from django.conf import settings
from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.models import TimeStampedModel
from apps.core.scoping import ScopedQuerySet


class RiskLevel(models.Model):
    """A risk level (风险等级) and its display colour: reference data; the colour is configuration
    (decision 3: blue by default, a province that shows green switches it here)."""

    code = models.PositiveSmallIntegerField(_("code"), primary_key=True)  # 1 red … 4 blue
    name = models.CharField(_("name"), max_length=16)  # 重大风险
    grade_name = models.CharField(_("grade name"), max_length=16)  # 一级 / 极高风险
    colour = models.CharField(_("colour name"), max_length=16)  # red / orange / yellow / blue
    colour_name = models.CharField(_("colour (Chinese)"), max_length=8)  # 红
    hex = models.CharField(_("colour value"), max_length=7)

    class Meta:
        verbose_name = _("risk level")
        verbose_name_plural = _("risk levels")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}"


LEVEL_CODES = (1, 2, 3, 4)
RED, ORANGE, YELLOW, BLUE = LEVEL_CODES


class RiskModel(TimeStampedModel):
    """A risk model (风险研判模型) of one industry; its published version grades that industry's
    enterprises. ``kind`` tells an enterprise model from specialised ones (leak, warehouse)."""

    code = models.SlugField(_("code"), max_length=48, unique=True)
    name = models.CharField(_("name"), max_length=64)
    industry = models.ForeignKey(
        "enterprises.Industry", null=True, blank=True, on_delete=models.PROTECT, related_name="risk_models"
    )
    kind = models.CharField(_("kind"), max_length=16, default="enterprise")
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    current_version = models.ForeignKey(
        "RiskModelVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    last_trained_at = models.DateTimeField(_("last trained"), null=True, blank=True)
    invocations = models.PositiveBigIntegerField(_("invocations as a service"), default=0)  # RSK-08 metering

    class Meta:
        verbose_name = _("risk model")
        verbose_name_plural = _("risk models")
        ordering = ["code"]
        permissions = [("edit_riskmodel", _("Can edit and publish risk models (provincial administrators)"))]

    def __str__(self):
        return self.name


class RiskModelVersion(models.Model):
    """One version of a model's indicators, weights, scoring and level thresholds. A published version
    is never edited: a change is a new draft, published in its turn (history kept)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        RETIRED = "retired", _("Retired")

    model = models.ForeignKey(RiskModel, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    definition = models.JSONField(_("definition"))
    note = models.CharField(_("change note"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("risk model version")
        verbose_name_plural = _("risk model versions")
        ordering = ["model", "-number"]
        constraints = [models.UniqueConstraint(fields=["model", "number"], name="risk_model_version_number")]

    def __str__(self):
        return f"{self.model.code} v{self.number}"


class RiskAssessment(models.Model):
    """One grading result (风险研判结果) with everything needed to explain and reproduce it: the raw
    inputs of every indicator, the breakdown (研判指数构成: value, score, weight, contribution per
    indicator), the rule that set the level, and the model version. Written when the result changes;
    the enterprise's current result is ``EnterpriseRisk``."""

    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.CASCADE, related_name="+")
    version = models.ForeignKey(RiskModelVersion, on_delete=models.PROTECT, related_name="+")
    assessed_at = models.DateTimeField(_("assessed at"), db_index=True)
    score = models.FloatField(_("risk score"), null=True, blank=True)
    level = models.PositiveSmallIntegerField(_("level"), null=True, blank=True)
    coverage = models.FloatField(_("data coverage"), default=0)  # share of the model's weight with data
    inputs = models.JSONField(_("inputs"), default=dict)
    breakdown = models.JSONField(_("breakdown"), default=list)
    rule = models.CharField(_("rule applied"), max_length=64, blank=True)
    trigger = models.CharField(_("trigger"), max_length=16, default="periodic")  # periodic / event / manual

    scope_organisation_field = "enterprise__organisation"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("risk assessment")
        verbose_name_plural = _("risk assessments")
        ordering = ["-assessed_at", "-id"]
        indexes = [models.Index(fields=["enterprise", "-assessed_at"], name="assessment_enterprise_idx")]


class EnterpriseRiskQuerySet(ScopedQuerySet):
    def graded(self):
        return self.filter(level__isnull=False)

    def ranked(self):
        """Enterprise risk ranking (风险倒排): the riskiest first."""
        return self.order_by(models.F("level").asc(nulls_last=True), models.F("score").desc(nulls_last=True))

    def with_enterprise(self):
        """With the enterprise, its region and industries loaded, for lists (no query per row)."""
        return self.select_related("enterprise__organisation__region").prefetch_related("enterprise__industries")


class EnterpriseRisk(models.Model):
    """An enterprise's current risk (实时风险): level, score and the assessment that gave them."""

    enterprise = models.OneToOneField(
        "enterprises.Enterprise", primary_key=True, on_delete=models.CASCADE, related_name="risk"
    )
    model = models.ForeignKey(RiskModel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    assessment = models.ForeignKey(RiskAssessment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    level = models.PositiveSmallIntegerField(_("level"), null=True, blank=True, db_index=True)
    score = models.FloatField(_("risk score"), null=True, blank=True, db_index=True)
    assessed_at = models.DateTimeField(_("assessed at"), null=True, blank=True)
    level_since = models.DateTimeField(_("level since"), null=True, blank=True)
    previous_level = models.PositiveSmallIntegerField(_("previous level"), null=True, blank=True)

    scope_organisation_field = "enterprise__organisation"
    objects = EnterpriseRiskQuerySet.as_manager()

    class Meta:
        verbose_name = _("enterprise risk")
        verbose_name_plural = _("enterprise risks")


class RiskDay(models.Model):
    """Each enterprise's risk per Beijing day (风险趋势): the worst level and highest score of the day and
    the last of each; trends by day, week and month are read from here, not from every assessment."""

    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.CASCADE, related_name="+")
    day = models.DateField(_("day"))
    worst_level = models.PositiveSmallIntegerField(null=True)
    max_score = models.FloatField(null=True)
    last_level = models.PositiveSmallIntegerField(null=True)
    last_score = models.FloatField(null=True)

    scope_organisation_field = "enterprise__organisation"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["enterprise", "day"], name="risk_day_per_enterprise")]
        indexes = [models.Index(fields=["day"], name="risk_day_day_idx")]


class StaticAssessment(models.Model):
    """An inherent-risk self-assessment (安全风险评估诊断分级) of a hazardous-chemicals enterprise by the
    《危险化学品生产储存企业安全风险评估诊断分级指南（试行）》 deduction table (domain.md §2.2): item
    counts, the one-vote-red (一票否决) conditions found, and the score and level they give."""

    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.CASCADE, related_name="+")
    assessed_on = models.DateField(_("assessed on"))
    items = models.JSONField(_("items"), default=dict)  # item code → count (or 1/0)
    vetoes = models.JSONField(_("one-vote-red conditions"), default=list)  # codes of conditions found
    categories = models.JSONField(_("category totals"), default=dict)  # category code → points (after caps)
    score = models.FloatField(_("score"))
    level = models.PositiveSmallIntegerField(_("level"))
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    scope_organisation_field = "enterprise__organisation"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("inherent-risk assessment")
        verbose_name_plural = _("inherent-risk assessments")
        ordering = ["-assessed_on", "-id"]
        indexes = [models.Index(fields=["enterprise", "-assessed_on"], name="static_enterprise_idx")]


class IndicatorRecord(models.Model):
    """A management indicator value reported by the enterprise or set by a regulator (管理指标填报):
    training completion, drills, rectification rate… — the form data of indicators no system feeds."""

    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.CASCADE, related_name="+")
    indicator = models.CharField(_("indicator"), max_length=64)
    value = models.FloatField(_("value"))
    period = models.DateField(_("period"))
    note = models.CharField(_("note"), max_length=255, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    scope_organisation_field = "enterprise__organisation"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("indicator record")
        verbose_name_plural = _("indicator records")
        ordering = ["-period", "-id"]
        indexes = [models.Index(fields=["enterprise", "indicator", "-period"], name="record_enterprise_idx")]


class WarningPolicy(models.Model):
    """Deadlines of a warning level (预警处置时限), configurable (domain.md §2.4): acknowledge within,
    feed back within, remind every, escalate to the next regulator level after."""

    level = models.OneToOneField(RiskLevel, primary_key=True, on_delete=models.CASCADE, related_name="policy")
    acknowledge_minutes = models.PositiveIntegerField(_("acknowledge within (minutes)"))
    feedback_hours = models.PositiveIntegerField(_("feed back within (hours)"))
    remind_minutes = models.PositiveIntegerField(_("remind every (minutes)"))
    escalate_hours = models.PositiveIntegerField(_("escalate each level after (hours overdue)"))
    # A province may warn only on rises to orange or red (the backtest counts ~1.2 rises per enterprise
    # and month, most of them blue → yellow); the rise is still recorded in the level history.
    raises_warning = models.BooleanField(_("a rise to this level raises a warning"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("warning policy")
        verbose_name_plural = _("warning policies")
        ordering = ["level"]


class WarningQuerySet(ScopedQuerySet):
    def open(self):
        return self.exclude(status=Warning.Status.CLOSED)

    def overdue(self, now=None):
        from django.utils import timezone

        return self.filter(status__in=Warning.AWAITING_FEEDBACK, feedback_due_at__lt=now or timezone.now())

    def unhandled(self, now=None, recovery_hours=None):
        """Warnings not handled in time (预警处置治理, RSK-27/ANA-08), each annotated with its ``problem``:
        ``not_acknowledged`` (awaiting acknowledgement past ``acknowledge_due_at``), ``not_fed_back``
        (awaiting feedback past ``feedback_due_at``) or ``not_downgraded`` (fed back, but the risk not
        back down ``ANQUAN_WARNING_RECOVERY_HOURS`` after the feedback). A warning with several problems
        shows the first of the loop."""
        import datetime as dt

        from django.utils import timezone

        now = now or timezone.now()
        hours = settings.ANQUAN_WARNING_RECOVERY_HOURS if recovery_hours is None else recovery_hours
        s = Warning.Status
        not_acknowledged = models.Q(status=s.PENDING, acknowledge_due_at__lt=now)
        not_fed_back = models.Q(status__in=Warning.AWAITING_FEEDBACK, feedback_due_at__lt=now)
        not_downgraded = models.Q(
            status__in=(s.FED_BACK, s.VERIFIED),
            recovered_at__isnull=True,
            feedback_at__lt=now - dt.timedelta(hours=hours),
        )
        return self.filter(not_acknowledged | not_fed_back | not_downgraded).annotate(
            problem=models.Case(
                models.When(not_acknowledged, then=models.Value("not_acknowledged")),
                models.When(not_fed_back, then=models.Value("not_fed_back")),
                default=models.Value("not_downgraded"),
                output_field=models.CharField(),
            )
        )


class Warning(TimeStampedModel):
    """An early warning (预警): raised when an enterprise's level rises (跳级), pushed to the enterprise,
    acknowledged (签收), disposed of and fed back (处置反馈), verified by the regulator (核查) and closed
    when the risk is back (闭环). One open warning per enterprise; a further rise raises it in place."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting acknowledgement")  # 待签收
        ACKNOWLEDGED = "acknowledged", _("Being disposed of")  # 处置中
        FED_BACK = "fed_back", _("Fed back, awaiting verification")  # 已反馈
        RETURNED = "returned", _("Sent back")  # 退回
        VERIFIED = "verified", _("Verified, awaiting recovery")  # 已核查
        CLOSED = "closed", _("Closed")  # 已闭环

    AWAITING_FEEDBACK = (Status.PENDING, Status.ACKNOWLEDGED, Status.RETURNED)

    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.PROTECT, related_name="+")
    assessment = models.ForeignKey(RiskAssessment, null=True, on_delete=models.SET_NULL, related_name="+")
    from_level = models.PositiveSmallIntegerField(_("from level"), null=True, blank=True)
    level = models.PositiveSmallIntegerField(_("level"), db_index=True)
    score = models.FloatField(_("risk score"), null=True, blank=True)
    drivers = models.JSONField(_("drivers"), default=list)  # the indicators that drove the rise
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    raised_at = models.DateTimeField(_("raised at"), db_index=True)
    pushed_at = models.DateTimeField(_("pushed at"), null=True, blank=True)
    acknowledge_due_at = models.DateTimeField(_("acknowledge by"), null=True, blank=True)
    feedback_due_at = models.DateTimeField(_("feed back by"), null=True, blank=True, db_index=True)
    last_reminded_at = models.DateTimeField(_("last reminded"), null=True, blank=True)
    reminders = models.PositiveIntegerField(_("reminders sent"), default=0)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    feedback_at = models.DateTimeField(_("fed back at"), null=True, blank=True)
    feedback_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cause = models.CharField(_("cause"), max_length=500, blank=True)
    measures = models.TextField(_("disposal measures"), blank=True)
    result = models.CharField(_("result"), max_length=500, blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verify_comment = models.CharField(_("verification comment"), max_length=500, blank=True)
    recovered_at = models.DateTimeField(_("risk recovered at"), null=True, blank=True)  # 处置降级
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # Escalation (逾期升级): the region whose regulators it was escalated to, and how many steps.
    escalations = models.PositiveSmallIntegerField(_("escalations"), default=0)
    escalated_to = models.ForeignKey(
        "regions.Region", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)

    scope_organisation_field = "enterprise__organisation"
    objects = WarningQuerySet.as_manager()

    class Meta:
        verbose_name = _("warning")
        verbose_name_plural = _("warnings")
        ordering = ["-raised_at", "-id"]
        permissions = [
            ("dispose_warning", _("Can acknowledge and feed back warnings")),  # 企业签收、处置反馈
            ("verify_warning", _("Can verify or send back warnings")),  # 监管核查、退回
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise"], condition=~models.Q(status="closed"), name="one_open_warning_per_enterprise"
            )
        ]
        indexes = [models.Index(fields=["status", "raised_at"], name="warning_status_idx")]


class WarningEvent(models.Model):
    """Every step of a warning (预警处置记录): raised, rose, pushed, reminded, acknowledged, fed back,
    returned, verified, escalated, recovered, closed — with who and what was said."""

    warning = models.ForeignKey(Warning, on_delete=models.CASCADE, related_name="events")
    ts = models.DateTimeField()
    event = models.CharField(max_length=16)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    level = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["ts", "id"]


class SupervisionAssignment(TimeStampedModel):
    """Grid-based assignment (网格化分工, RSK-16): a regulator assigns the enterprises of an industry at a
    risk level within its region to one of its departments (a regulator organisation or division)."""

    region = models.ForeignKey("regions.Region", on_delete=models.CASCADE, related_name="+")
    industry = models.ForeignKey(
        "enterprises.Industry", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    level = models.PositiveSmallIntegerField(_("level"))
    department = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    note = models.CharField(_("note"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    scope_organisation_field = "department"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("supervision assignment")
        verbose_name_plural = _("supervision assignments")
        ordering = ["region", "industry", "level"]
        constraints = [
            models.UniqueConstraint(fields=["region", "industry", "level"], name="one_department_per_grid_cell")
        ]


class SpotCheck(TimeStampedModel):
    """An online spot check or patrol (在线抽查/巡查, INS-04/05/07) of one enterprise by a regulator: what
    was looked at, what was found, and the follow-up — so workload and coverage can be analysed."""

    class Kind(models.TextChoices):
        ENTERPRISE = "enterprise", _("Enterprise spot check")  # 企业抽查
        EQUIPMENT = "equipment", _("Equipment patrol")  # 设备巡查
        CASTING_WELL = "casting_well", _("Casting-well patrol")  # 铸造井巡查
        VIDEO = "video", _("Video patrol")  # 视频巡查
        ALARM = "alarm", _("Alarm review")  # 报警检索核查
        WARNING = "warning", _("Warning review")  # 预警检索核查

    class FollowUp(models.TextChoices):
        NONE = "none", _("No problem found")
        REMIND = "remind", _("Reminded the enterprise")  # 提醒
        RECTIFY = "rectify", _("Rectification required")  # 责令整改
        ONSITE = "onsite", _("On-site inspection")  # 现场检查
        ENFORCE = "enforce", _("Law enforcement")  # 执法

    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.PROTECT, related_name="+")
    inspector = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.ENTERPRISE)
    started_at = models.DateTimeField(_("started at"), db_index=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    viewed = models.JSONField(_("what was viewed"), default=list, blank=True)  # ["risk", "alarms", "video:…"]
    findings = models.TextField(_("findings"), blank=True)
    follow_up = models.CharField(_("follow-up"), max_length=16, choices=FollowUp.choices, default=FollowUp.NONE)
    risk_level = models.PositiveSmallIntegerField(_("risk level at the time"), null=True, blank=True)

    scope_organisation_field = "enterprise__organisation"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("spot check")
        verbose_name_plural = _("spot checks")
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["inspector", "-started_at"], name="spotcheck_inspector_idx")]


class Incident(TimeStampedModel):
    """An accident, near miss or confirmed violation of an enterprise (事故事件/违法违规行为), as recorded by
    regulators: the ground truth that the grading is measured (backtest) and calibrated against."""

    class Kind(models.TextChoices):
        ACCIDENT = "accident", _("Accident")  # 生产安全事故
        NEAR_MISS = "near_miss", _("Near miss")  # 未遂事件
        VIOLATION = "violation", _("Confirmed violation")  # 执法查实的违法违规行为

    class Severity(models.TextChoices):
        GENERAL = "general", _("General")  # 一般
        LARGER = "larger", _("Larger")  # 较大
        MAJOR = "major", _("Major")  # 重大
        EXTRAORDINARY = "extraordinary", _("Extraordinarily serious")  # 特别重大

    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.PROTECT, related_name="+")
    occurred_on = models.DateField(_("occurred on"), db_index=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    severity = models.CharField(_("severity"), max_length=16, choices=Severity.choices, blank=True)
    deaths = models.PositiveIntegerField(_("deaths"), default=0)
    description = models.TextField(_("description"), blank=True)
    source = models.CharField(_("source"), max_length=16, default="report")  # report / enforcement / synthetic
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    scope_organisation_field = "enterprise__organisation"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-occurred_on", "-id"]
        indexes = [models.Index(fields=["enterprise", "occurred_on"], name="incident_enterprise_idx")]


class RegionIndicatorRecord(models.Model):
    """A regional factor of a region risk model (区域指标): geography, meteorology, rescue capability…,
    reported by the region's regulator (RSK-19)."""

    region = models.ForeignKey("regions.Region", on_delete=models.CASCADE, related_name="+")
    indicator = models.CharField(_("indicator"), max_length=64)
    value = models.FloatField(_("value"))
    period = models.DateField(_("period"))
    note = models.CharField(_("note"), max_length=255, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("regional indicator record")
        verbose_name_plural = _("regional indicator records")
        ordering = ["-period", "-id"]
        indexes = [models.Index(fields=["region", "indicator", "-period"], name="region_record_idx")]


class RegionRisk(models.Model):
    """The current regional risk of a region under a region model (区域风险, e.g. 煤矿区域安全风险,
    RSK-19..21): score, level, and the breakdown that explains them, like an enterprise's result."""

    region = models.ForeignKey("regions.Region", on_delete=models.CASCADE, related_name="+")
    model = models.ForeignKey(RiskModel, on_delete=models.CASCADE, related_name="+")
    version = models.ForeignKey(RiskModelVersion, on_delete=models.PROTECT, related_name="+")
    assessed_at = models.DateTimeField(_("assessed at"))
    score = models.FloatField(_("risk score"), null=True, blank=True)
    level = models.PositiveSmallIntegerField(_("level"), null=True, blank=True)
    coverage = models.FloatField(_("data coverage"), default=0)
    inputs = models.JSONField(_("inputs"), default=dict)
    breakdown = models.JSONField(_("breakdown"), default=list)

    class Meta:
        verbose_name = _("regional risk")
        verbose_name_plural = _("regional risks")
        constraints = [models.UniqueConstraint(fields=["region", "model"], name="one_region_risk_per_model")]
