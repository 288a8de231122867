"""Exports in exactly the import templates' columns (导出), so that a file can be edited and imported again."""

from apps.core.exports import xlsx_response

from .importers import EnterpriseImporter, FacilityImporter, PointImporter


def _export(importer_class, filename, queryset):
    importer = importer_class(None)
    return xlsx_response(filename, [c.label for c in importer.columns], importer.export_rows(queryset))


def export_enterprises_for_import(queryset):
    return _export(EnterpriseImporter, "enterprises-import", queryset)


def export_facilities(queryset):
    return _export(FacilityImporter, "facilities", queryset)


def export_points(queryset):
    return _export(PointImporter, "monitoring-points", queryset)


EXPORTS = {
    EnterpriseImporter.kind: export_enterprises_for_import,
    FacilityImporter.kind: export_facilities,
    PointImporter.kind: export_points,
}
