"""Ops face of the data exchange (数据交换): clients and their tokens, partners, subscriptions and the
outbox, and read-only lists of what was received."""

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from apps.core.exceptions import DomainError

from . import outbox, services, specs
from .models import (
    ExchangeClient,
    OutboxEntry,
    Partner,
    ReceiptBatch,
    ReceivedRecord,
    Rejection,
    Subscription,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ExchangeClient)
class ExchangeClientAdmin(admin.ModelAdmin):
    """Clients are created with ``manage.py create_exchange_client`` (the token is printed once);
    here ops disable them, set the expected tables and rotate tokens."""

    list_display = ("name", "enterprise", "region", "token_prefix", "is_active", "last_seen_at")
    list_filter = ("is_active",)
    search_fields = ("name", "token_prefix", "enterprise__organisation__name", "enterprise__organisation__uscc")
    list_select_related = ("enterprise__organisation", "region")
    fields = ("name", "enterprise", "region", "token_prefix", "is_active", "expected_datasets", "last_seen_at")
    readonly_fields = ("enterprise", "region", "token_prefix", "last_seen_at")
    actions = ["rotate_token"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Rotate the token (the new one is shown once)"), permissions=["change"])
    def rotate_token(self, request, queryset):
        for client in queryset:
            raw = services.rotate_token(client)
            self.message_user(
                request,
                _("New token of %(name)s: %(token)s — copy it now, it is not shown again.")
                % {"name": client.name, "token": raw},
                messages.WARNING,
            )


class PartnerForm(forms.ModelForm):
    base_url = forms.URLField(
        label=_("base URL"),
        assume_scheme="https",
        help_text=_("e.g. https://province.example/ (…/api/v1/exchange/<dataset>)"),
    )
    token = forms.CharField(
        label=_("token"),
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False),
        help_text=_(
            "The exchange-client token the partner issued for us. Stored encrypted and never shown; leave "
            "empty to keep the stored one."
        ),
    )

    class Meta:
        model = Partner
        fields = ("name", "kind", "base_url", "enabled", "batch_size", "timeout_seconds")

    def clean_batch_size(self):
        size = self.cleaned_data["batch_size"]
        if not 1 <= size <= outbox.MAX_RECORDS_PER_REQUEST:
            raise forms.ValidationError(
                _("Between 1 and %(most)s records per request.") % {"most": outbox.MAX_RECORDS_PER_REQUEST}
            )
        return size

    def clean(self):
        cleaned = super().clean()
        if not self.instance.pk and not cleaned.get("token"):
            self.add_error("token", _("Give the token the partner issued."))
        return cleaned


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    form = PartnerForm
    list_display = ("name", "kind", "base_url", "enabled", "batch_size", "timeout_seconds", "has_token")
    list_filter = ("kind", "enabled")
    search_fields = ("name", "base_url")

    @admin.display(description=_("token set"), boolean=True)
    def has_token(self, obj):
        return bool(obj.token_encrypted)

    def save_model(self, request, obj, form, change):
        token = form.cleaned_data.get("token")
        if token:
            outbox.set_partner_token(obj, token)
        super().save_model(request, obj, form, change)


class SubscriptionForm(forms.ModelForm):
    dataset = forms.ChoiceField(label=_("dataset"), choices=())

    class Meta:
        model = Subscription
        fields = ("partner", "dataset", "schedule", "enabled", "watermark")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dataset"].choices = [(name, f"{name} · {specs.get(name).table}") for name in specs.names()]


def _backlog():
    pending = (
        OutboxEntry.objects.filter(subscription=OuterRef("pk"), status=OutboxEntry.Status.PENDING)
        .order_by()
        .values("subscription")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(pending, output_field=IntegerField()), 0)


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    form = SubscriptionForm
    list_display = (
        "partner",
        "dataset",
        "schedule",
        "enabled",
        "backlog",
        "last_success_at",
        "consecutive_failures",
        "next_attempt_at",
    )
    list_filter = ("enabled", "schedule", "partner", "dataset")
    list_select_related = ("partner",)
    readonly_fields = (
        "last_built_at",
        "last_attempt_at",
        "last_success_at",
        "last_error",
        "consecutive_failures",
        "next_attempt_at",
    )
    actions = ["retry_now"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(backlog=_backlog())

    @admin.display(description=_("backlog"), ordering="backlog")
    def backlog(self, obj):
        return obj.backlog

    @admin.action(description=_("Retry now (clear the backoff and send)"), permissions=["change"])
    def retry_now(self, request, queryset):
        count = 0
        for subscription in queryset:
            outbox.retry_now(subscription)
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d lane queued for sending.", "%(count)d lanes queued for sending.", count)
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(OutboxEntry)
class OutboxEntryAdmin(ReadOnlyAdmin):
    list_display = ("id", "subscription", "dataset", "key", "status", "attempts", "created_at", "delivered_at", "error")
    list_filter = ("status", "dataset", "subscription")
    search_fields = ("key",)
    list_select_related = ("subscription__partner",)
    show_full_result_count = False  # the outbox keeps every delivered entry: counting it all is slow
    actions = ["requeue_dead"]

    def get_queryset(self, request):
        # The payload (files inline, up to megabytes) is read on the detail page only.
        queryset = super().get_queryset(request)
        changelist = (getattr(request.resolver_match, "url_name", "") or "").endswith("changelist")
        return queryset.defer("payload") if changelist else queryset

    @admin.display(description=_("last error"))
    def error(self, obj):
        return obj.last_error[:120]

    def has_requeue_permission(self, request):
        return request.user.has_perm("exchange.change_outboxentry")

    @admin.action(description=_("Requeue the selected dead letters"), permissions=["requeue"])
    def requeue_dead(self, request, queryset):
        ids = list(queryset.filter(status=OutboxEntry.Status.DEAD).values_list("pk", flat=True))
        if not ids:
            self.message_user(request, _("None of the selected entries is a dead letter."), messages.ERROR)
            return
        try:
            count = outbox.requeue_dead(ids)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        self.message_user(
            request,
            ngettext(
                "%(count)d dead letter requeued (the latest version of its key is sent again).",
                "%(count)d dead letters requeued (the latest version of each key is sent again).",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(ReceivedRecord)
class ReceivedRecordAdmin(ReadOnlyAdmin):
    list_display = ("dataset", "key", "title", "enterprise", "deleted", "orphan", "versions", "last_received_at")
    list_filter = ("dataset", "deleted", "orphan")
    search_fields = ("key", "title")
    list_select_related = ("enterprise__organisation",)
    show_full_result_count = False
    date_hierarchy = "last_received_at"


@admin.register(Rejection)
class RejectionAdmin(ReadOnlyAdmin):
    list_display = ("id", "dataset", "key", "index", "enterprise", "received_at", "reasons")
    list_filter = ("dataset",)
    search_fields = ("key",)
    list_select_related = ("enterprise__organisation",)
    show_full_result_count = False
    date_hierarchy = "received_at"


@admin.register(ReceiptBatch)
class ReceiptBatchAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "dataset",
        "client",
        "received_at",
        "received",
        "created",
        "updated",
        "rejected",
        "duration_ms",
    )
    list_filter = ("dataset",)
    search_fields = ("client__name",)
    list_select_related = ("client",)
    show_full_result_count = False
    date_hierarchy = "received_at"
