"""Data exchange (数据交换): records received from lower levels and records sent to higher ones.

Receiving (the province's role): an ``ExchangeClient`` posts records of the province's tables; each
accepted record is upserted into ``ReceivedRecord`` by its key (never physically deleted), every
arrival is kept verbatim in ``ReceivedVersion``, each request is a ``ReceiptBatch`` and each refused
record a ``Rejection``. ``UploadStat`` keeps the last upload per enterprise and table, for
punctuality.

Sending (the enterprise's or the province's role upward): a ``Partner`` is a platform we send to; a
``Subscription`` is one table sent to one partner on a schedule, and the lane in which its
``OutboxEntry`` rows are delivered in order.
"""

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.models import TimeStampedModel
from apps.core.scoping import AccessScope, ScopedQuerySet


class ExchangeScopedQuerySet(ScopedQuerySet):
    """The one scoping of the exchange's rows: enterprise users see their enterprise's rows,
    regulators those of their region's subtree, an exchange client its enterprise's or its region's.
    The received rows carry their ``region`` (so records whose enterprise is not known yet are
    covered); outbox entries reach it through their enterprise (``region_path``)."""

    region_path = "region__path"

    def for_user(self, user, action: str = "view"):
        scope = AccessScope.of(user)
        if scope.kind == AccessScope.ALL:
            return self
        if scope.kind == AccessScope.REGION and scope.region_path:
            return self.filter(**{f"{self.region_path}__startswith": scope.region_path})
        if scope.kind == AccessScope.ORGANISATION and scope.organisation_id:
            return self.filter(enterprise_id=scope.organisation_id)
        return self.none()

    def for_client(self, client):
        """What an exchange client may read back: its enterprise's rows, or its region's."""
        if client.enterprise_id:
            return self.filter(enterprise_id=client.enterprise_id)
        return self.filter(**{f"{self.region_path}__startswith": client.region.path})

    def for_viewer(self, viewer):
        """A person (``for_user``) or an exchange client (``for_client``)."""
        if isinstance(viewer, ExchangeClient):
            return self.for_client(viewer)
        return self.for_user(viewer)


class ExchangeClientQuerySet(ExchangeScopedQuerySet):
    pass


class ExchangeClient(TimeStampedModel):
    """Exchange client (数据交换客户端): the service account of an enterprise's system (bound to that
    enterprise) or of a lower-level platform (bound to its region). Its token is stored as SHA-256."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("enterprise"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="exchange_clients",
    )
    # The enterprise's region for an enterprise client; the jurisdiction of a lower-level platform.
    region = models.ForeignKey("regions.Region", verbose_name=_("region"), on_delete=models.PROTECT)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    token_prefix = models.CharField(_("token prefix"), max_length=8, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    expected_datasets = models.JSONField(
        _("expected datasets"),
        default=list,
        blank=True,
        help_text=_("Tables this client must upload on schedule (for punctuality); empty: those it has sent."),
    )
    last_seen_at = models.DateTimeField(_("last seen at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    scope_organisation_field = "enterprise__organisation"
    objects = ExchangeClientQuerySet.as_manager()

    class Meta:
        verbose_name = _("exchange client")
        verbose_name_plural = _("exchange clients")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def is_platform(self) -> bool:
        return self.enterprise_id is None


class ReceivedRecordQuerySet(ExchangeScopedQuerySet):
    def live(self):
        return self.filter(deleted=False)


class ReceivedRecord(models.Model):
    """A received record (接收数据) of one of the province's tables, as last received, by key."""

    dataset = models.CharField(_("dataset"), max_length=40)
    key = models.CharField(_("key"), max_length=80)
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("enterprise"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    region = models.ForeignKey("regions.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(
        ExchangeClient, verbose_name=_("received from"), on_delete=models.PROTECT, related_name="records"
    )
    payload = models.JSONField(_("payload"))  # file contents replaced by references to stored files
    details = models.JSONField(_("details"), default=dict, blank=True)  # merged alarm/clearance facts
    title = models.CharField(_("title"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=20, blank=True)
    event_time = models.DateTimeField(_("event time"), null=True, blank=True)
    parent_key = models.CharField(_("parent key"), max_length=80, blank=True)
    # The value other tables refer to when it is not the key (video-devices.DEVICE_CODE).
    alt_key = models.CharField(_("referenced code"), max_length=80, blank=True)
    orphan = models.BooleanField(_("parent not received yet"), default=False)
    deleted = models.BooleanField(_("deleted"), default=False)
    warnings = models.JSONField(_("warnings"), default=list, blank=True)  # [{"field", "message"}]
    versions = models.PositiveIntegerField(_("times received"), default=1)
    first_received_at = models.DateTimeField(_("first received at"))
    last_received_at = models.DateTimeField(_("last received at"))

    scope_organisation_field = "enterprise__organisation"
    objects = ReceivedRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("received record")
        verbose_name_plural = _("received records")
        constraints = [models.UniqueConstraint(fields=["dataset", "key"], name="exchange_record_dataset_key")]
        indexes = [
            models.Index(fields=["dataset", "enterprise", "-last_received_at"], name="exchange_record_ent_idx"),
            # Partial: most tables have no parent, no referenced code, or no time of their own.
            models.Index(
                fields=["dataset", "parent_key"], condition=~models.Q(parent_key=""), name="exchange_record_parent_idx"
            ),
            models.Index(
                fields=["dataset", "alt_key"], condition=~models.Q(alt_key=""), name="exchange_record_altkey_idx"
            ),
            models.Index(
                fields=["dataset", "-event_time"],
                condition=models.Q(event_time__isnull=False),
                name="exchange_record_time_idx",
            ),
            models.Index(
                fields=["dataset", "region"], condition=models.Q(orphan=True), name="exchange_record_orphan_idx"
            ),
        ]

    def __str__(self):
        return f"{self.dataset}:{self.key}"


class ReceiptBatch(models.Model):
    """One upload request (上报批次): who sent which table when, and what became of it."""

    dataset = models.CharField(_("dataset"), max_length=40)
    client = models.ForeignKey(ExchangeClient, on_delete=models.PROTECT, related_name="batches")
    received_at = models.DateTimeField(_("received at"), db_index=True)
    received = models.PositiveIntegerField(_("received"))
    created = models.PositiveIntegerField(_("created"))
    updated = models.PositiveIntegerField(_("updated"))
    rejected = models.PositiveIntegerField(_("rejected"))
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)

    class Meta:
        verbose_name = _("receipt batch")
        verbose_name_plural = _("receipt batches")
        indexes = [models.Index(fields=["client", "dataset", "-received_at"], name="exchange_batch_client_idx")]


class ReceivedVersion(models.Model):
    """Every accepted arrival of a record, verbatim (audit): the raw payload, when, from whom."""

    record = models.ForeignKey(ReceivedRecord, on_delete=models.CASCADE, related_name="history")
    batch = models.ForeignKey(ReceiptBatch, on_delete=models.CASCADE, related_name="versions")
    payload = models.JSONField(_("payload"))
    received_at = models.DateTimeField(_("received at"))

    class Meta:
        verbose_name = _("received version")
        verbose_name_plural = _("received versions")
        indexes = [models.Index(fields=["record", "-received_at"], name="exchange_version_record_idx")]


class RejectionQuerySet(ExchangeScopedQuerySet):
    pass


class Rejection(models.Model):
    """A refused record (被拒记录), with the field-level reasons, for the data-quality view."""

    batch = models.ForeignKey(ReceiptBatch, on_delete=models.CASCADE, related_name="rejections")
    dataset = models.CharField(_("dataset"), max_length=40)
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    index = models.PositiveIntegerField(_("position in the upload"))
    key = models.CharField(_("key"), max_length=80, blank=True)
    errors = models.JSONField(_("errors"))  # {"FIELD": "message"}
    reasons = models.JSONField(_("reason codes"), default=list)  # ["FIELD:code", …] for grouping
    payload = models.JSONField(_("payload"), null=True)  # files replaced by their size
    received_at = models.DateTimeField(_("received at"))

    scope_organisation_field = "enterprise__organisation"
    objects = RejectionQuerySet.as_manager()

    class Meta:
        verbose_name = _("rejected record")
        verbose_name_plural = _("rejected records")
        indexes = [
            models.Index(fields=["dataset", "-received_at"], name="exchange_rejection_idx"),
            GinIndex(fields=["reasons"], name="exchange_rejection_reason_gin"),
        ]


class UploadStatQuerySet(ExchangeScopedQuerySet):
    pass


class UploadStat(models.Model):
    """The upload record of one enterprise and table (上报情况), for punctuality (DX-SD-08)."""

    dataset = models.CharField(_("dataset"), max_length=40)
    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.CASCADE, related_name="+")
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    first_upload_at = models.DateTimeField(_("first upload at"))
    last_upload_at = models.DateTimeField(_("last upload at"))
    uploads = models.PositiveIntegerField(_("uploads"), default=0)
    records = models.PositiveBigIntegerField(_("records accepted"), default=0)
    rejected = models.PositiveBigIntegerField(_("records rejected"), default=0)

    scope_organisation_field = "enterprise__organisation"
    objects = UploadStatQuerySet.as_manager()

    class Meta:
        verbose_name = _("upload statistic")
        verbose_name_plural = _("upload statistics")
        constraints = [models.UniqueConstraint(fields=["dataset", "enterprise"], name="exchange_uploadstat_unique")]


class Partner(TimeStampedModel):
    """Exchange partner (交换节点): a platform we send records to — the province's receiver for an
    enterprise or park deployment, the ministry for the province — speaking contract.md §4."""

    class Kind(models.TextChoices):
        PROVINCE = "province", _("Province")
        MINISTRY = "ministry", _("Ministry")
        CITY = "city", _("City")
        COUNTY = "county", _("County or park")
        COMMITTEE = "committee", _("Committee member unit")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.PROVINCE)
    base_url = models.URLField(
        _("base URL"), help_text=_("e.g. https://province.example/ (…/api/v1/exchange/<dataset>)")
    )
    token_encrypted = models.TextField(_("token (encrypted)"), blank=True, editable=False)
    enabled = models.BooleanField(_("enabled"), default=True)
    batch_size = models.PositiveIntegerField(_("records per request"), default=500)
    timeout_seconds = models.PositiveIntegerField(_("timeout (s)"), default=30)

    class Meta:
        verbose_name = _("exchange partner")
        verbose_name_plural = _("exchange partners")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Subscription(TimeStampedModel):
    """Subscription (订阅): one table sent to one partner on a schedule; the lane in which its outbox
    entries are delivered one batch at a time, in order."""

    class Schedule(models.TextChoices):
        REALTIME = "realtime", _("Real time")
        EVERY_10_MINUTES = "10min", _("Every 10 minutes")
        HOURLY = "hourly", _("Hourly incremental")
        DAILY = "daily", _("Daily incremental")
        DAILY_BEFORE_10 = "daily_10", _("Daily before 10:00, and changes in real time")

    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), on_delete=models.CASCADE, related_name="subscriptions"
    )
    dataset = models.CharField(_("dataset"), max_length=40)
    schedule = models.CharField(_("schedule"), max_length=12, choices=Schedule.choices)
    enabled = models.BooleanField(_("enabled"), default=True)
    watermark = models.DateTimeField(_("built up to"), null=True, blank=True)  # incremental builders
    last_built_at = models.DateTimeField(_("last built at"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("last success at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    consecutive_failures = models.PositiveIntegerField(_("consecutive failures"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        ordering = ["partner", "dataset"]
        constraints = [models.UniqueConstraint(fields=["partner", "dataset"], name="exchange_subscription_unique")]

    def __str__(self):
        return f"{self.partner} · {self.dataset}"


class OutboxEntryQuerySet(ExchangeScopedQuerySet):
    region_path = "enterprise__organisation__region__path"  # an entry without an enterprise: ops only


class OutboxEntry(models.Model):
    """Outbox entry (待上报记录): a record waiting to be sent to a partner, written in the same
    transaction as the change it reports; delivered in ``id`` order within its subscription."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        DEAD = "dead", _("Dead letter")

    id = models.BigAutoField(primary_key=True)
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="entries")
    dataset = models.CharField(_("dataset"), max_length=40)
    key = models.CharField(_("key"), max_length=80)
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    payload = models.JSONField(_("payload"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    scope_organisation_field = "enterprise__organisation"
    objects = OutboxEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("outbox entry")
        verbose_name_plural = _("outbox entries")
        indexes = [
            models.Index(
                fields=["subscription", "id"], condition=models.Q(status="pending"), name="exchange_outbox_pending_idx"
            ),
            models.Index(
                fields=["subscription", "-id"], condition=models.Q(status="dead"), name="exchange_outbox_dead_idx"
            ),
            models.Index(fields=["subscription", "-delivered_at"], name="exchange_outbox_delivered_idx"),
        ]

    def __str__(self):
        return f"{self.dataset}:{self.key} → {self.subscription_id} ({self.status})"
