"""Ops face of notifications: every message and each channel's delivery state (read-mostly)."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import services
from .models import Delivery, Notification


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    fields = ("channel", "status", "attempts", "sent_at", "next_attempt_at", "last_error")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("id", "created_at", "recipient", "kind", "level", "title", "read_at")
    list_filter = ("kind", "level", ("read_at", admin.EmptyFieldListFilter), "created_at")
    search_fields = ("title", "recipient__username", "recipient__real_name", "dedupe_key")
    list_select_related = ("recipient",)
    raw_id_fields = ("recipient",)
    date_hierarchy = "created_at"
    inlines = [DeliveryInline]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ("id", "notification", "recipient", "channel", "status", "attempts", "sent_at", "last_error")
    list_filter = ("status", "channel")
    search_fields = ("notification__title", "notification__recipient__username", "last_error")
    list_select_related = ("notification__recipient",)
    raw_id_fields = ("notification",)
    actions = ["send_again"]

    @admin.display(description=_("recipient"))
    def recipient(self, obj):
        return obj.notification.recipient

    @admin.action(description=_("Send the selected deliveries again"))
    def send_again(self, request, queryset):
        count = services.requeue(queryset.values_list("pk", flat=True))
        self.message_user(
            request,
            ngettext("%(count)d delivery queued again.", "%(count)d deliveries queued again.", count)
            % {"count": count},
            messages.SUCCESS,
        )
