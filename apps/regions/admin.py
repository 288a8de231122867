from django.contrib.gis import admin

from .models import Region


@admin.register(Region)
class RegionAdmin(admin.GISModelAdmin):
    list_display = ("code", "name", "kind", "parent")
    list_filter = ("kind",)
    search_fields = ("code", "name")
    readonly_fields = ("path", "depth")
    raw_id_fields = ("parent",)
