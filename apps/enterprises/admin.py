from django.contrib.gis import admin

from .models import Enterprise, Industry


@admin.register(Industry)
class IndustryAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_en", "sort_order")


@admin.register(Enterprise)
class EnterpriseAdmin(admin.GISModelAdmin):
    list_display = ("organisation", "status", "deleted", "updated_at")
    list_filter = ("status", "deleted", "industries")
    search_fields = ("organisation__name", "organisation__uscc")
    raw_id_fields = ("organisation",)
    filter_horizontal = ("industries",)
