"""Monitoring points (监测指标), their kinds, and the gateways (采集网关) that report them."""

from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.utils.translation import gettext_lazy as _

from apps.core.models import SoftDeleteModel, TimeStampedModel
from apps.core.scoping import ScopedQuerySet


class Signal(models.TextChoices):
    ANALOG = "analog", _("Analog")  # 模拟量
    SWITCH = "switch", _("Switch")  # 开关量


class MeasurementKind(models.Model):
    """What a point measures (监测指标类型): temperature, pressure, %LEL, ppm, switch signal, …"""

    code = models.SlugField(_("code"), max_length=48, unique=True)
    name = models.CharField(_("name"), max_length=64)
    name_en = models.CharField(_("English name"), max_length=96, blank=True)
    unit = models.CharField(_("unit"), max_length=16, blank=True)
    signal = models.CharField(_("signal"), max_length=8, choices=Signal.choices, default=Signal.ANALOG)
    industries = ArrayField(models.CharField(max_length=32), default=list, blank=True)
    typical_low = models.FloatField(null=True, blank=True)
    typical_high = models.FloatField(null=True, blank=True)

    class Meta:
        verbose_name = _("measurement kind")
        verbose_name_plural = _("measurement kinds")
        ordering = ["code"]

    def __str__(self):
        return self.name


class Gateway(TimeStampedModel):
    """A data-collection gateway of one enterprise (contract §2): an id and an HMAC secret."""

    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.PROTECT, related_name="gateways")
    gateway_id = models.SlugField(_("gateway id"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=128, blank=True)
    secret_encrypted = models.TextField(editable=False)
    secret_hint = models.CharField(_("secret (first characters)"), max_length=8, editable=False)
    is_enabled = models.BooleanField(_("enabled"), default=True)
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)
    # Online (在线) while any point it reported last is online; every change is an OnlineTransition.
    online = models.BooleanField(_("online"), default=False)
    online_changed_at = models.DateTimeField(_("online status since"), null=True, blank=True)

    scope_organisation_field = "enterprise__organisation"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("gateway")
        verbose_name_plural = _("gateways")
        ordering = ["gateway_id"]

    def __str__(self):
        return self.gateway_id


class MonitoringPointQuerySet(ScopedQuerySet):
    def active(self):
        return self.filter(deleted=False)

    def in_use(self):
        return self.active().filter(in_use=True)


class MonitoringPoint(SoftDeleteModel):
    """A monitored indicator on a facility (监测点位): code unique within its enterprise, thresholds
    low-low ≤ low ≤ high ≤ high-high (any may be empty) inside the measuring range."""

    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.PROTECT, related_name="points")
    facility = models.ForeignKey("facilities.Facility", on_delete=models.PROTECT, related_name="points")
    code = models.CharField(_("code"), max_length=64)
    name = models.CharField(_("name"), max_length=128)
    kind = models.ForeignKey(MeasurementKind, on_delete=models.PROTECT, related_name="points")
    unit = models.CharField(_("unit"), max_length=16, blank=True)
    range_low = models.FloatField(_("range low"), null=True, blank=True)
    range_high = models.FloatField(_("range high"), null=True, blank=True)
    low_low = models.FloatField(_("low-low"), null=True, blank=True)
    low = models.FloatField(_("low"), null=True, blank=True)
    high = models.FloatField(_("high"), null=True, blank=True)
    high_high = models.FloatField(_("high-high"), null=True, blank=True)
    bit_number = models.CharField(_("bit number"), max_length=64, blank=True)  # 位号
    period_s = models.PositiveIntegerField(_("expected reporting period (s)"), default=60)
    position = models.CharField(_("position"), max_length=255, blank=True)
    location = models.PointField(_("location"), srid=4326, null=True, blank=True)
    in_use = models.BooleanField(_("in use"), default=True, db_index=True)
    # Alarm behaviour (apps.monitoring.alarms): hysteresis and persistence, and a switch's abnormal state.
    deadband = models.FloatField(_("deadband"), default=0)
    raise_delay_s = models.PositiveIntegerField(_("raise delay (s)"), default=0)
    clear_delay_s = models.PositiveIntegerField(_("stay-clear time (s)"), default=0)
    alarm_state = models.BooleanField(_("abnormal switch state"), default=True)

    scope_organisation_field = "enterprise__organisation"
    objects = MonitoringPointQuerySet.as_manager()

    class Meta:
        verbose_name = _("monitoring point")
        verbose_name_plural = _("monitoring points")
        ordering = ["enterprise", "code"]
        constraints = [models.UniqueConstraint(fields=["enterprise", "code"], name="point_code_per_enterprise")]
        indexes = [models.Index(fields=["facility", "in_use"], name="point_facility_inuse_idx")]

    def __str__(self):
        return f"{self.name} ({self.code})"

    THRESHOLDS = ("low_low", "low", "high", "high_high")


class IngestBatch(models.Model):
    """One accepted request's readings (采集批次): stored durably before they are answered, then
    processed (latest values, alarms) by a worker. Unprocessed batches are the work queue, so a lost
    broker message or a killed worker only delays processing; it never loses readings."""

    gateway = models.ForeignKey(Gateway, on_delete=models.CASCADE, related_name="batches")
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    source = models.CharField(max_length=8)  # http / mqtt
    accepted = models.PositiveIntegerField(default=0)
    # Time span of the batch's readings: lets processing touch only the partitions that hold them.
    min_ts = models.DateTimeField(null=True, blank=True)
    max_ts = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # The new readings again, as three parallel arrays, until processed: the worker unnests them
    # instead of searching the big readings table for a batch id (then they are cleared).
    payload_points = ArrayField(models.BigIntegerField(), null=True, editable=False)
    payload_ts = ArrayField(models.DateTimeField(), null=True, editable=False)
    payload_values = ArrayField(models.FloatField(), null=True, editable=False)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["id"], condition=models.Q(processed_at__isnull=True), name="ingestbatch_pending_idx")
        ]


class PointState(models.Model):
    """The latest reading of a point (实时值), for real-time status pages without touching the history."""

    point = models.OneToOneField(MonitoringPoint, primary_key=True, on_delete=models.CASCADE, related_name="state")
    ts = models.DateTimeField(null=True, blank=True)
    value = models.FloatField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    # Alarm tracker: the level in force, a level waiting out its delay, the last reading evaluated.
    level = models.CharField(max_length=16, default="normal")
    pending_level = models.CharField(max_length=16, blank=True)
    pending_since = models.DateTimeField(null=True, blank=True)
    evaluated_ts = models.DateTimeField(null=True, blank=True)
    # Online (在线): data within ANQUAN_OFFLINE_PERIODS × period; the gateway that reported it last.
    online = models.BooleanField(default=False)
    online_changed_at = models.DateTimeField(null=True, blank=True)
    gateway = models.ForeignKey(Gateway, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # When the value last changed: a value unchanged for hours is a stuck sensor (数据不变).
    changed_ts = models.DateTimeField(null=True, blank=True)


class AlarmQuerySet(ScopedQuerySet):
    def active(self):
        return self.filter(is_active=True)

    def long_uncleared(self, now=None):
        """Active longer than ANQUAN_ALARM_LONG_UNCLEARED_HOURS (长时间未销警)."""
        import datetime as dt

        from django.conf import settings
        from django.utils import timezone

        limit = (now or timezone.now()) - dt.timedelta(hours=settings.ANQUAN_ALARM_LONG_UNCLEARED_HOURS)
        return self.active().filter(started_at__lt=limit)


class Alarm(models.Model):
    """A threshold or state alarm of a point (报警): one active per (point, side); it escalates and
    de-escalates in place and clears (消警) when the value is back inside the deadband."""

    point = models.ForeignKey(MonitoringPoint, on_delete=models.PROTECT, related_name="alarms")
    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.PROTECT, related_name="alarms")
    side = models.CharField(_("side"), max_length=8)  # high / low / state / offline
    level = models.CharField(_("level"), max_length=16)
    threshold = models.FloatField(_("threshold"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), db_index=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    peak_value = models.FloatField(_("peak value"), null=True, blank=True)
    last_value = models.FloatField(_("last value"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True, db_index=True)
    # Raised inside a maintenance/calibration window: recorded, not pushed.
    shelved = models.BooleanField(_("in a maintenance window"), default=False)
    # Handling feedback (处置反馈) recorded by the enterprise.
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True, db_index=True)
    handled_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    handler = models.CharField(_("handler"), max_length=64, blank=True)
    cause = models.CharField(_("cause"), max_length=255, blank=True)
    measures = models.CharField(_("measures"), max_length=500, blank=True)
    result = models.CharField(_("result"), max_length=255, blank=True)

    scope_organisation_field = "enterprise__organisation"
    objects = AlarmQuerySet.as_manager()

    class Meta:
        verbose_name = _("alarm")
        verbose_name_plural = _("alarms")
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["point", "side"], condition=models.Q(is_active=True), name="one_active_alarm_per_point_side"
            )
        ]

    @property
    def duration(self):
        return (self.ended_at - self.started_at) if self.ended_at else None


class AlarmEvent(models.Model):
    """Every change of an alarm: raised, escalated, de-escalated, cleared."""

    alarm = models.ForeignKey(Alarm, on_delete=models.CASCADE, related_name="events")
    ts = models.DateTimeField()
    event = models.CharField(max_length=16)
    level = models.CharField(max_length=16)
    value = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["ts", "id"]


class EnterpriseLink(models.Model):
    """An enterprise's monitoring connection (联网状态): online while any of its points is online."""

    enterprise = models.OneToOneField(
        "enterprises.Enterprise", primary_key=True, on_delete=models.CASCADE, related_name="monitoring_link"
    )
    online = models.BooleanField(_("online"), default=False)
    online_changed_at = models.DateTimeField(_("online status since"), null=True, blank=True)
    first_data_at = models.DateTimeField(_("first data"), null=True, blank=True)

    scope_organisation_field = "enterprise__organisation"
    objects = ScopedQuerySet.as_manager()


class OnlineTransition(models.Model):
    """A change of online status (上线/离线) of a point, gateway or enterprise; online rates per day,
    region and industry are computed from these."""

    class Subject(models.TextChoices):
        POINT = "point", _("Monitoring point")
        GATEWAY = "gateway", _("Gateway")
        ENTERPRISE = "enterprise", _("Enterprise")

    subject = models.CharField(max_length=12, choices=Subject.choices)
    subject_id = models.BigIntegerField()
    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.CASCADE, related_name="+")
    ts = models.DateTimeField()
    online = models.BooleanField()

    scope_organisation_field = "enterprise__organisation"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["ts", "id"]
        indexes = [
            models.Index(fields=["subject", "subject_id", "ts"], name="transition_subject_idx"),
            models.Index(fields=["subject", "ts"], name="transition_subject_ts_idx"),
        ]


class MaintenanceWindow(TimeStampedModel):
    """A maintenance or calibration window (检维修/标定) declared by the enterprise for a point or a
    whole facility: alarms inside it are recorded but not pushed; regulators see the window."""

    class Reason(models.TextChoices):
        MAINTENANCE = "maintenance", _("Maintenance")  # 检维修
        CALIBRATION = "calibration", _("Calibration")  # 标定
        SHUTDOWN = "shutdown", _("Planned shutdown")  # 停车

    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.PROTECT, related_name="+")
    facility = models.ForeignKey(
        "facilities.Facility", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    point = models.ForeignKey(MonitoringPoint, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices, default=Reason.MAINTENANCE)
    note = models.CharField(_("note"), max_length=255, blank=True)
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    cancelled = models.BooleanField(_("cancelled"), default=False)

    scope_organisation_field = "enterprise__organisation"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("maintenance window")
        verbose_name_plural = _("maintenance windows")
        ordering = ["-starts_at"]
        indexes = [models.Index(fields=["enterprise", "ends_at"], name="window_enterprise_end_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(facility__isnull=False) | models.Q(point__isnull=False), name="window_has_target"
            ),
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="window_ends_after_start"
            ),
        ]

    def covers(self, point_id: int, facility_id: int, ts) -> bool:
        return (
            not self.cancelled
            and self.starts_at <= ts < self.ends_at
            and (self.point_id == point_id or (self.point_id is None and self.facility_id == facility_id))
        )
