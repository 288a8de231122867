from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from apps.notifications.models import Notification


class NotificationSerializer(serializers.ModelSerializer):
    # A plain string in the schema: an enum named after the field would collide with Organisation.level.
    level = serializers.CharField(read_only=True, help_text=_("info, warning or danger"))
    is_read = serializers.BooleanField(read_only=True)
    target_type = serializers.SerializerMethodField()
    target_id = serializers.CharField(source="object_id", read_only=True)

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "level",
            "title",
            "body",
            "link",
            "target_type",
            "target_id",
            "created_at",
            "read_at",
            "is_read",
        ]
        read_only_fields = fields

    def get_target_type(self, obj) -> str:
        """``app_label.model`` of what the message is about, or ''."""
        return f"{obj.content_type.app_label}.{obj.content_type.model}" if obj.content_type_id else ""


class ReadAllSerializer(serializers.Serializer):
    kind = serializers.SlugField(max_length=48, required=False, allow_blank=True, default="")


class UpdatedSerializer(serializers.Serializer):
    updated = serializers.IntegerField()


class UnreadCountSerializer(serializers.Serializer):
    unread = serializers.IntegerField()
