from rest_framework import serializers

from apps.imports.models import ImportJob, ImportKind


class ImportRowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(
        allow_null=True, help_text="Excel row number (the header is row 1); null for the file"
    )
    field = serializers.CharField(allow_null=True)
    column = serializers.CharField(allow_null=True, required=False)
    message = serializers.CharField()


class ImportJobBriefSerializer(serializers.ModelSerializer):
    # Plain strings in responses: the enums are documented once, on the upload (two components sharing
    # an enum named "kind"/"status" would collide with other apps' enums of those names).
    kind = serializers.CharField(read_only=True, help_text="enterprises, facilities or points")
    status = serializers.CharField(
        read_only=True, help_text="pending, validating, importing, succeeded (imported) or failed (nothing imported)"
    )
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    enterprise_name = serializers.CharField(source="enterprise.organisation.name", read_only=True, default=None)
    created_by = serializers.CharField(source="created_by.username", read_only=True)
    processed_rows = serializers.IntegerField(source="live_processed_rows", read_only=True)
    progress = serializers.IntegerField(source="progress_percent", read_only=True, help_text="percent, 0–100")

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "kind",
            "status",
            "status_display",
            "original_name",
            "enterprise",
            "enterprise_name",
            "total_rows",
            "processed_rows",
            "progress",
            "created_count",
            "updated_count",
            "error_count",
            "created_by",
            "created_at",
            "updated_at",
            "finished_at",
        ]
        read_only_fields = fields


class ImportJobSerializer(ImportJobBriefSerializer):
    errors = ImportRowErrorSerializer(many=True, read_only=True)

    class Meta(ImportJobBriefSerializer.Meta):
        fields = [*ImportJobBriefSerializer.Meta.fields, "errors"]
        read_only_fields = fields


class ImportJobCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ImportKind.choices)
    file = serializers.FileField(help_text="the filled-in .xlsx template")
    enterprise = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="enterprise id, for facilities and points (implied for enterprise users)",
    )
