"""Serializers of the hidden-danger governance (隐患治理) and investigation task (隐患排查任务) APIs."""

from rest_framework import serializers

from apps.prevention import services
from apps.prevention.models import CheckRecord, ControlMeasure, HiddenDanger, HiddenDangerStep, TaskPeriod

LIST_FIELDS = (
    "id",
    "uid",
    "enterprise",
    "enterprise_name",
    "source",
    "object_code",
    "hazard_source",
    "measure",
    "name",
    "level",
    "registered_at",
    "registrant",
    "origin",
    "manage_type",
    "danger_type",
    "liable_person",
    "deadline",
    "state",
    "overdue",
    "accept_person",
    "accepted_at",
    "updated_at",
)
LEDGER_FIELDS = (
    "measure_uid",
    "description",
    "reason",
    "accept_comment",
    "department",
    "investigators",
    "place",
    "basis",
    "responsible_unit",
    "funds",
    "funds_source",
    "rectification",
    "rectified_on",
    "accepting_unit",
)
# What a registration may say; the service checks it (required fields, codes, the measure).
WRITABLE = (
    "object_code",
    "measure",
    "name",
    "level",
    "registered_at",
    "registrant",
    "origin",
    "manage_type",
    "danger_type",
    "description",
    "reason",
    "liable_person",
    "deadline",
    "department",
    "investigators",
    "place",
    "basis",
    "responsible_unit",
    "funds",
    "funds_source",
    "rectification",
    "accepting_unit",
)

TEXT = {
    "name",
    "object_code",
    "registrant",
    "origin",
    "description",
    "reason",
    "liable_person",
    "department",
    "investigators",
    "place",
    "basis",
    "responsible_unit",
    "funds_source",
    "rectification",
    "accepting_unit",
}


class HiddenDangerStepSerializer(serializers.ModelSerializer):
    """One step of the governance (隐患治理记录)."""

    state_after = serializers.IntegerField(
        read_only=True, help_text="0 under rectification, 1 awaiting acceptance, 9 accepted"
    )

    class Meta:
        model = HiddenDangerStep
        fields = ("id", "action", "actor", "actor_name", "at", "comment", "photos", "state_after")


class HiddenDangerSerializer(serializers.ModelSerializer):
    """A hidden danger (隐患) in a list."""

    enterprise_name = serializers.CharField(source="enterprise.organisation.name", read_only=True)
    overdue = serializers.SerializerMethodField()
    level = serializers.IntegerField(read_only=True, help_text="DANGER_LEVEL: 0 general, 1 major")
    state = serializers.IntegerField(
        read_only=True, help_text="0 under rectification, 1 awaiting acceptance, 9 accepted"
    )

    class Meta:
        model = HiddenDanger
        fields = LIST_FIELDS
        read_only_fields = LIST_FIELDS

    def get_overdue(self, obj) -> bool:
        from django.utils import timezone

        return obj.state != 9 and obj.deadline is not None and obj.deadline < timezone.now()


class HiddenDangerDetailSerializer(HiddenDangerSerializer):
    """A hidden danger (隐患) with its ledger and its governance steps."""

    steps = HiddenDangerStepSerializer(many=True, read_only=True)

    class Meta(HiddenDangerSerializer.Meta):
        fields = (*LIST_FIELDS, *LEDGER_FIELDS, "steps")
        read_only_fields = fields


class HiddenDangerCreateSerializer(serializers.ModelSerializer):
    """登记隐患: the fields are checked by ``services.register_danger`` so every problem is named at once."""

    measure = serializers.PrimaryKeyRelatedField(
        queryset=ControlMeasure.objects.filter(deleted=False), required=False, allow_null=True
    )
    level = serializers.IntegerField(required=False, allow_null=True, help_text="DANGER_LEVEL: 0 general, 1 major")

    class Meta:
        model = HiddenDanger
        fields = WRITABLE
        extra_kwargs = {
            name: {"required": False, "allow_blank": True} if name in TEXT else {"required": False, "allow_null": True}
            for name in WRITABLE
            if name not in ("measure", "level")
        }

    def create(self, validated_data):
        fields = {k: v for k, v in validated_data.items() if v is not None}
        return services.register_danger(self.context["request"].user, self.context["enterprise"], **fields)


class DangerRectifySerializer(serializers.Serializer):
    rectification = serializers.CharField(max_length=5000, help_text="what was done")
    completed_on = serializers.DateField(required=False, allow_null=True)
    comment = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    photos = serializers.ListField(child=serializers.CharField(max_length=255), required=False, default=list)


class DangerAcceptSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    photos = serializers.ListField(child=serializers.CharField(max_length=255), required=False, default=list)


class DangerSendBackSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=1000, help_text="why the rectification is not enough")
    photos = serializers.ListField(child=serializers.CharField(max_length=255), required=False, default=list)


# --- investigation tasks (隐患排查任务): cycles, the task inbox and results ---------------------------


class InvestigationPeriodSerializer(serializers.ModelSerializer):
    """One cycle of an investigation task (排查任务周期) with its task and, when done, the record."""

    task_uid = serializers.UUIDField(source="task.uid", read_only=True)
    content = serializers.CharField(source="task.content", read_only=True)
    cycle = serializers.IntegerField(source="task.cycle", read_only=True)
    cycle_unit = serializers.CharField(source="task.cycle_unit", read_only=True, help_text="小时, 天, 月 or 年")
    post = serializers.CharField(source="task.post", read_only=True)
    enterprise_name = serializers.CharField(source="enterprise.organisation.name", read_only=True)
    status = serializers.CharField(read_only=True, help_text="pending, done, overdue or suspended")
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    inspector = serializers.CharField(source="record.inspector", read_only=True, default=None)
    result = serializers.CharField(
        source="record.status", read_only=True, default=None, help_text="CHECK_STATUS of the record when done"
    )

    class Meta:
        model = TaskPeriod
        fields = (
            "id",
            "task",
            "task_uid",
            "content",
            "cycle",
            "cycle_unit",
            "post",
            "enterprise",
            "enterprise_name",
            "starts_at",
            "due_at",
            "status",
            "status_label",
            "checked_at",
            "record",
            "inspector",
            "result",
        )
        read_only_fields = fields


class InvestigationResultInputSerializer(serializers.Serializer):
    """An investigation result (排查结果) of a task, named by its id or its key (uid)."""

    task = serializers.CharField(max_length=36, help_text="investigation task id or its key (uid)")
    status = serializers.CharField(max_length=1, help_text="CHECK_STATUS: 0, 1, 2 (not investigated) or 3")
    checked_at = serializers.DateTimeField(required=False, allow_null=True)
    inspector = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class InvestigationRecordSerializer(serializers.ModelSerializer):
    """An investigation record (排查记录) and the status its cycle has now."""

    status = serializers.CharField(read_only=True, help_text="CHECK_STATUS: 0, 1, 2 or 3")
    period_status = serializers.SerializerMethodField(help_text="pending, done, overdue, suspended or null")

    class Meta:
        model = CheckRecord
        fields = (
            "id",
            "uid",
            "enterprise",
            "task",
            "task_uid",
            "checked_at",
            "status",
            "inspector",
            "note",
            "period_status",
        )
        read_only_fields = fields

    def get_period_status(self, obj) -> str | None:
        period = (
            TaskPeriod.objects.filter(task_id=obj.task_id, starts_at__lte=obj.checked_at, due_at__gt=obj.checked_at)
            .values_list("status", flat=True)
            .first()
        )
        return period
