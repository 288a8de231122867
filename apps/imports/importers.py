"""The importers (Excel导入) of enterprises, facilities and monitoring points.

Each turns rows into the arguments of the domain's own services (``register_enterprise``,
``register_facility``, ``create_point`` and their ``update_*``), which keep the rules; parsing here
only converts cells (codes or Chinese names, numbers, lists) and catches early what would fail later,
so that every row's errors are reported before anything is written. An existing record (same credit
code, or same code within the enterprise) is updated; an empty cell leaves its value unchanged.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.accounts.models import Organisation
from apps.accounts.validators import normalise_uscc, uscc_check_character, uscc_error
from apps.core.attributes import validate_attributes
from apps.core.codes import codes_of
from apps.core.exceptions import InvalidInput
from apps.core.imports import (
    CREATED,
    UPDATED,
    CodeLookup,
    Column,
    Importer,
    boolean,
    cell_text,
    choices_lookup,
    clean_fields,
    code,
    codes,
    location,
    number,
    text,
)
from apps.core.scoping import AccessScope
from apps.enterprises.models import Enterprise, Industry, OperatingStatus
from apps.enterprises.services import (
    BASE_FIELDS,
    CODED_FIELDS,
    ENTERPRISE_REGION_KINDS,
    register_enterprise,
    update_enterprise,
)
from apps.facilities.models import Facility, FacilityKind, FacilityStatus
from apps.facilities.services import change_status, register_facility, update_facility
from apps.monitoring.models import MeasurementKind, MonitoringPoint
from apps.monitoring.services import create_point, threshold_errors, update_point
from apps.regions.models import Region

YES, NO = "是", "否"
LIST_SEPARATOR = "、"
MAX_INTEGER = 2_147_483_647  # PositiveIntegerField
# Chinese names of the models' choices as the files write them, whatever the interface language.
OPERATING_NAMES = {"operating": "正常生产", "suspended": "停产", "closed": "关闭"}
FACILITY_STATUS_NAMES = {"in_service": "在用", "stopped": "停用", "scrapped": "报废"}


def _max(model, name) -> int:
    return model._meta.get_field(name).max_length


def _table(table):
    return lambda: codes_of(table).items()


def _number(value):
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _lon(point):
    return point.x if point is not None else None


def _lat(point):
    return point.y if point is not None else None


LOCATION_COLUMNS = [
    Column("经度", "longitude", False, gettext_lazy("WGS84 longitude in degrees, e.g. 117.0208."), ""),
    Column("纬度", "latitude", False, gettext_lazy("WGS84 latitude in degrees, e.g. 36.6683."), ""),
]
LOCATION_LABEL = "经度/纬度"


# --- enterprises ---------------------------------------------------------------------------------


class EnterpriseImporter(Importer):
    """Enterprises (企业基础信息): registered, or updated when the credit code is already registered."""

    kind = "enterprises"
    title = gettext_lazy("Enterprises")
    key_field = "uscc"
    permissions = ("enterprises.add_enterprise",)
    needs_enterprise = False
    field_labels = {"location": LOCATION_LABEL}
    columns = [
        Column("企业名称", "name", True, gettext_lazy("The registered name."), "济南示例化工有限公司"),
        Column(
            "统一社会信用代码",
            "uscc",
            True,
            gettext_lazy("18 characters (GB 32100). A code already registered updates that enterprise."),
        ),
        Column(
            "所属区域代码",
            "region",
            True,
            gettext_lazy("GB/T 2260 code of the county, or the code of the chemical park."),
            "370102",
        ),
        Column(
            "行业",
            "industries",
            False,
            gettext_lazy("Industry codes or names, separated by 、."),
            "危险化学品",
            lambda: Industry.objects.values_list("code", "name"),
        ),
        Column("地址", "address", False, "", "历下区示例路1号"),
        *LOCATION_COLUMNS,
        Column("法定代表人", "legal_representative", False, "", "张三"),
        Column("主要负责人", "principal", False, "", "李四"),
        Column("主要负责人电话", "principal_phone", False, "", "13800000000"),
        Column("安全负责人", "safety_manager", False, "", "王五"),
        Column("安全负责人电话", "safety_manager_phone", False, "", "13900000000"),
        Column("规模", "scale", False, "", "规模以上", _table(CODED_FIELDS["scale"])),
        Column("从业人数", "employees", False, gettext_lazy("A whole number."), 120),
        Column("经济类型", "economic_type", False, "", "有限责任公司", _table(CODED_FIELDS["economic_type"])),
        Column("隶属关系", "affiliation", False, "", "县", _table(CODED_FIELDS["affiliation"])),
        Column("监管级别", "supervision_level", False, "", "县级", _table(CODED_FIELDS["supervision_level"])),
        Column(
            "危化品企业类别",
            "hazchem_category",
            False,
            "",
            "危险化学品生产企业",
            _table(CODED_FIELDS["hazchem_category"]),
        ),
        Column(
            "粉尘种类",
            "dust_kinds",
            False,
            gettext_lazy("Codes or names, separated by 、."),
            "",
            _table(CODED_FIELDS["dust_kinds"]),
        ),
        Column("涉粉作业人数", "dust_workers", False, gettext_lazy("A whole number."), ""),
        Column(
            "生产状态",
            "status",
            False,
            gettext_lazy("Operating when empty."),
            "正常生产",
            lambda: OPERATING_NAMES.items(),
        ),
    ]

    def example(self) -> dict:
        first17 = "91370102MA0000001"
        return {**super().example(), "uscc": first17 + uscc_check_character(first17)}

    def allowed_values(self, column):
        if column.key != "region":
            return super().allowed_values(column)
        regions = Region.objects.filter(kind__in=ENTERPRISE_REGION_KINDS).order_by("code")
        scope = AccessScope.of(self.actor)
        if scope.kind == AccessScope.REGION:
            regions = regions.filter(path__startswith=scope.region_path)
        elif scope.kind != AccessScope.ALL:
            regions = regions.none()
        return regions.values_list("code", "name")

    def prepare(self, rows):
        usccs = {normalise_uscc(cell_text(row.get("uscc"))) for _number_, row in rows} - {""}
        organisations = {o.uscc: o for o in Organisation.objects.filter(uscc__in=usccs).select_related("region")}
        pks = [o.pk for o in organisations.values()]
        return SimpleNamespace(
            organisations=organisations,
            enterprises=dict(Enterprise.objects.filter(pk__in=pks).values_list("pk", "deleted")),
            changeable=set(
                Enterprise.objects.for_user(self.actor, "change").filter(pk__in=pks).values_list("pk", flat=True)
            ),
            may_change=self.actor is None or self.actor.has_perm("enterprises.change_enterprise"),
            regions={
                r.code: r
                for r in Region.objects.filter(code__in={cell_text(row.get("region")) for _number_, row in rows})
            },
            scope=AccessScope.of(self.actor) if self.actor is not None else None,
            industries=CodeLookup(Industry.objects.values_list("code", "name")),
            tables={key: CodeLookup(codes_of(table).items()) for key, table in CODED_FIELDS.items()},
            status=choices_lookup(OperatingStatus.choices, OPERATING_NAMES),
        )

    def _uscc(self, value):
        uscc = normalise_uscc(cell_text(value))
        if not uscc:
            raise ValueError(_("This column is required."))
        error = uscc_error(uscc)
        if error:
            raise ValueError(error)
        return uscc

    def _region(self, value, context):
        region_code = cell_text(value)
        if not region_code:
            raise ValueError(_("This column is required."))
        region = context.regions.get(region_code)
        if region is None:
            raise ValueError(_("Unknown region code %(code)s.") % {"code": region_code})
        if region.kind not in ENTERPRISE_REGION_KINDS:
            raise ValueError(_("An enterprise must be registered in a county or a chemical park"))
        scope = context.scope
        within = scope is None or scope.kind == AccessScope.ALL
        within = within or (scope.kind == AccessScope.REGION and region.path.startswith(scope.region_path))
        if not within:
            raise ValueError(_("You can only register enterprises within your jurisdiction"))
        return region

    def parse_row(self, row, context):
        tables = context.tables
        values = clean_fields(
            row,
            {
                "name": text(_max(Organisation, "name"), required=True),
                "uscc": self._uscc,
                "region": lambda value: self._region(value, context),
                "industries": codes(context.industries),
                "address": text(_max(Enterprise, "address")),
                "longitude": number(73, 136),
                "latitude": number(3, 54),
                **{
                    key: text(_max(Enterprise, key))
                    for key in (
                        "legal_representative",
                        "principal",
                        "principal_phone",
                        "safety_manager",
                        "safety_manager_phone",
                    )
                },
                **{key: codes(tables[key]) if key == "dust_kinds" else code(tables[key]) for key in CODED_FIELDS},
                "employees": number(0, MAX_INTEGER, integer=True),
                "dust_workers": number(0, MAX_INTEGER, integer=True),
                "status": code(context.status),
            },
        )
        base = {k: v for k, v in values.items() if k in BASE_FIELDS and v not in ("", None, [])}
        point = location(values)
        if point is not None:
            base["location"] = point
        organisation = context.organisations.get(values["uscc"])
        if organisation is not None:
            if organisation.pk not in context.enterprises:
                raise InvalidInput(
                    _("This credit code belongs to an organisation that is not an enterprise."), field="uscc"
                )
            if organisation.pk not in context.changeable or not context.may_change:
                raise InvalidInput(_("This credit code belongs to an enterprise you may not change."), field="uscc")
            if context.enterprises[organisation.pk]:
                raise InvalidInput(_("This credit code belongs to a deleted enterprise."), field="uscc")
            if organisation.region_id != values["region"].pk:
                raise InvalidInput(
                    _("The region of a registered enterprise is not changed by import (registered in %(code)s).")
                    % {"code": organisation.region.code},
                    field="region",
                )
        return {
            "uscc": values["uscc"],
            "name": values["name"],
            "region": values["region"],
            "industries": values["industries"],
            "base": base,
            "existing": organisation.pk if organisation is not None else None,
        }

    def apply_row(self, spec, actor):
        if spec["existing"] is not None:
            enterprise = Enterprise.objects.select_related("organisation__region").get(pk=spec["existing"])
            changes = {"name": spec["name"], **spec["base"]}
            if spec["industries"]:
                changes["industries"] = spec["industries"]
            update_enterprise(actor, enterprise, **changes)
            return UPDATED
        register_enterprise(
            actor,
            name=spec["name"],
            uscc=spec["uscc"],
            region=spec["region"],
            industries=spec["industries"],
            **spec["base"],
        )
        return CREATED

    def export_rows(self, queryset):
        names = {key: codes_of(table) for key, table in CODED_FIELDS.items()}
        queryset = queryset.select_related("organisation__region").prefetch_related("industries")
        for e in queryset.order_by("organisation__name").iterator(chunk_size=1000):
            yield [
                e.organisation.name,
                e.organisation.uscc,
                e.organisation.region.code,
                LIST_SEPARATOR.join(i.name for i in e.industries.all()),
                e.address,
                _lon(e.location),
                _lat(e.location),
                e.legal_representative,
                e.principal,
                e.principal_phone,
                e.safety_manager,
                e.safety_manager_phone,
                names["scale"].get(e.scale, e.scale),
                e.employees,
                names["economic_type"].get(e.economic_type, e.economic_type),
                names["affiliation"].get(e.affiliation, e.affiliation),
                names["supervision_level"].get(e.supervision_level, e.supervision_level),
                names["hazchem_category"].get(e.hazchem_category, e.hazchem_category),
                LIST_SEPARATOR.join(names["dust_kinds"].get(k, k) for k in e.dust_kinds),
                e.dust_workers,
                OPERATING_NAMES.get(e.status, e.status),
            ]


# --- facilities ----------------------------------------------------------------------------------

ATTRIBUTE_SEPARATOR = "；"
ATTRIBUTE_TYPES = {
    "string": gettext_lazy("text"),
    "text": gettext_lazy("text"),
    "integer": gettext_lazy("whole number"),
    "number": gettext_lazy("number"),
    "boolean": gettext_lazy("是 or 否"),
    "date": gettext_lazy("date YYYY-MM-DD"),
    "choice": gettext_lazy("one of the values"),
    "substances": gettext_lazy("name:tonnes, separated by 、"),
}


def parse_attributes(value, kind: FacilityKind) -> dict:
    """``储存介质=甲醇；容积=500`` (keys or Chinese labels of the kind's schema) as ``{key: raw value}``."""
    raw = cell_text(value).replace("＝", "=")
    if not raw:
        return {}
    by_name = {}
    for spec in kind.attributes:
        by_name[spec["label"]] = spec
        by_name[spec["key"]] = spec
    values, unknown = {}, []
    for item in re.split(r"[;；\n]", raw):
        if not item.strip():
            continue
        name, separator, text_value = item.partition("=")
        spec = by_name.get(name.strip())
        if not separator or spec is None:
            unknown.append(name.strip())
            continue
        text_value = text_value.strip()
        if spec["type"] == "substances":
            substances = []
            for entry in re.split(r"[、,，]", text_value):
                if entry.strip():
                    substance, _colon, quantity = entry.replace("：", ":").partition(":")
                    substances.append({"name": substance.strip(), "quantity_t": quantity.strip() or None})
            values[spec["key"]] = substances
        else:
            values[spec["key"]] = text_value
    if unknown:
        raise ValueError(
            _("Unknown attributes of %(kind)s: %(names)s (see the 设施属性 sheet).")
            % {"kind": kind.name, "names": LIST_SEPARATOR.join(unknown)}
        )
    return values


def format_attributes(kind: FacilityKind, values: dict) -> str:
    """The inverse of ``parse_attributes``: Chinese labels, choice names, 是/否."""
    parts = []
    for spec in kind.attributes:
        if spec["key"] not in values or values[spec["key"]] in (None, ""):
            continue
        value = values[spec["key"]]
        if spec["type"] == "boolean":
            value = YES if value else NO
        elif spec["type"] == "choice":
            value = {str(c): n for c, n in spec.get("choices", [])}.get(str(value), value)
        elif spec["type"] == "substances":
            value = LIST_SEPARATOR.join(f"{s['name']}:{_number(s['quantity_t'])}" for s in value)
        else:
            value = _number(value)
        parts.append(f"{spec['label']}={value}")
    return ATTRIBUTE_SEPARATOR.join(parts)


class EnterpriseRecordsImporter(Importer):
    """Records of one enterprise (``options["enterprise"]``), upserted by their code within it."""

    key_field = "code"
    needs_enterprise = True
    model = None

    @property
    def enterprise(self) -> Enterprise:
        return self.options["enterprise"]


class FacilityImporter(EnterpriseRecordsImporter):
    """Facilities (设备设施) of one enterprise; a parent may be a row above in the same file."""

    kind = "facilities"
    title = gettext_lazy("Facilities")
    permissions = ("facilities.add_facility",)
    model = Facility
    field_labels = {"location": LOCATION_LABEL}
    columns = [
        Column(
            "设施编号",
            "code",
            True,
            gettext_lazy("Unique within the enterprise; an existing code updates that facility."),
            "TK-01",
        ),
        Column("设施名称", "name", True, "", "甲醇罐区"),
        Column(
            "设施类型",
            "kind",
            True,
            gettext_lazy("Kind code or name; the 设施属性 sheet lists each kind's attributes."),
            "罐区",
            lambda: FacilityKind.objects.values_list("code", "name"),
        ),
        Column(
            "上级设施编号",
            "parent",
            False,
            gettext_lazy("Code of an existing facility, or of a facility in a row above in this file."),
            "",
        ),
        Column(
            "状态",
            "status",
            False,
            gettext_lazy("In service when empty; a change is recorded with today's date."),
            "在用",
            lambda: FACILITY_STATUS_NAMES.items(),
        ),
        *LOCATION_COLUMNS,
        Column(
            "登记编码",
            "registration_code",
            False,
            gettext_lazy("Code in the national hazardous-chemicals registration system."),
            "",
        ),
        Column(
            "属性",
            "attributes",
            False,
            gettext_lazy(
                "Attributes of the kind as name=value pairs separated by ；, names or codes as in the 设施属性 "
                "sheet, e.g. 储存介质=甲醇；容积=500; substances as name:tonnes separated by 、."
            ),
            "储罐数量=2；总罐容=1000；火灾危险性类别=甲B类",
        ),
    ]

    def extra_sheets(self):
        rows = []
        for kind in FacilityKind.objects.order_by("sort", "code"):
            for spec in kind.attributes:
                rows.append(
                    [
                        kind.code,
                        kind.name,
                        spec["key"],
                        spec["label"],
                        str(ATTRIBUTE_TYPES.get(spec["type"], spec["type"])),
                        YES if spec.get("required") else NO,
                        spec.get("unit", ""),
                        LIST_SEPARATOR.join(f"{c} {n}" for c, n in spec.get("choices", [])),
                    ]
                )
        headers = [
            _("Kind code"),
            _("Kind"),
            _("Attribute code"),
            _("Attribute"),
            _("Type"),
            _("Required"),
            _("Unit"),
            _("Allowed values (code and name)"),
        ]
        return [("设施属性", headers, rows)]

    def prepare(self, rows):
        kinds = {k.code: k for k in FacilityKind.objects.all()}
        first_rows = {}
        for number_, row in rows:
            first_rows.setdefault(cell_text(row.get("code")), number_)
        return SimpleNamespace(
            kinds=kinds,
            kind_lookup=CodeLookup((k.code, k.name) for k in kinds.values()),
            status=choices_lookup(FacilityStatus.choices, FACILITY_STATUS_NAMES),
            existing={
                f.code: f for f in Facility.objects.filter(enterprise=self.enterprise).select_related("kind", "parent")
            },
            first_rows=first_rows,
            parsed={},
        )

    def _final_parent(self, facility_code, context):
        """The parent a facility will have once the rows above are imported."""
        if facility_code in context.parsed:
            return context.parsed[facility_code]["final_parent"]
        existing = context.existing.get(facility_code)
        return existing.parent.code if existing is not None and existing.parent_id else None

    def _check_parent(self, facility_code, parent, context) -> None:
        if parent == facility_code:
            raise InvalidInput(_("A facility cannot be its own parent."), field="parent")
        if parent not in context.parsed and parent not in context.existing:
            row = context.first_rows.get(parent)
            if row is not None and row < (self.row_number or 0):
                raise InvalidInput(
                    _("The parent facility %(code)s in row %(row)d has errors.") % {"code": parent, "row": row},
                    field="parent",
                )
            if row is not None:
                raise InvalidInput(
                    _("Facility %(code)s is defined below, in row %(row)d; put parents above their children.")
                    % {"code": parent, "row": row},
                    field="parent",
                )
            raise InvalidInput(_("Unknown facility code %(code)s.") % {"code": parent}, field="parent")
        if parent in context.existing and context.existing[parent].deleted:
            raise InvalidInput(_("Facility %(code)s has been deleted.") % {"code": parent}, field="parent")
        ancestor, seen = parent, set()
        while ancestor and ancestor not in seen:
            if ancestor == facility_code:
                raise InvalidInput(_("This parent would make a loop of facilities."), field="parent")
            seen.add(ancestor)
            ancestor = self._final_parent(ancestor, context)

    def parse_row(self, row, context):
        values = clean_fields(
            row,
            {
                "code": text(_max(Facility, "code"), required=True),
                "name": text(_max(Facility, "name"), required=True),
                "kind": code(context.kind_lookup, required=True),
                "parent": text(_max(Facility, "code")),
                "status": code(context.status),
                "longitude": number(73, 136),
                "latitude": number(3, 54),
                "registration_code": text(_max(Facility, "registration_code")),
                "attributes": lambda value: value,
            },
        )
        facility_code, kind = values["code"], context.kinds[values["kind"]]
        existing = context.existing.get(facility_code)
        if existing is not None and existing.deleted:
            raise InvalidInput(_("This code belongs to a deleted facility."), field="code")
        if existing is not None and existing.kind_id != kind.pk:
            raise InvalidInput(
                _("The kind of an existing facility cannot be changed (it is %(kind)s).")
                % {"kind": existing.kind.name},
                field="kind",
            )
        point = location(values)
        if values["parent"]:
            self._check_parent(facility_code, values["parent"], context)
        try:
            attributes = parse_attributes(values["attributes"], kind)
            if existing is None or attributes:
                merged = {**(existing.attributes if existing is not None else {}), **attributes}
                validate_attributes(kind.attributes, merged)
        except ValueError as exc:
            raise InvalidInput(str(exc), field="attributes") from None
        except InvalidInput as exc:
            labels = {f"attributes.{s['key']}": s["label"] for s in kind.attributes}
            messages = [f"{labels.get(name, name)}: {m}" for name, items in exc.as_dict().items() for m in items]
            raise InvalidInput(exc.message, errors={"attributes": messages}) from None
        spec = {
            "code": facility_code,
            "name": values["name"],
            "kind": kind.code,
            "parent": values["parent"] or None,
            "final_parent": values["parent"]
            or (existing.parent.code if existing is not None and existing.parent_id else None),
            "status": values["status"],
            "location": point,
            "registration_code": values["registration_code"],
            "attributes": attributes,
            "existing": existing.pk if existing is not None else None,
        }
        context.parsed[facility_code] = spec
        return spec

    def _facility(self, facility_code) -> Facility:
        facility = self.applied.get(facility_code)
        if facility is None:
            facility = (
                Facility.objects.filter(enterprise=self.enterprise, code=facility_code).select_related("kind").first()
            )
        if facility is None:  # its own row failed
            raise InvalidInput(
                _("The parent facility %(code)s could not be imported.") % {"code": facility_code}, field="parent"
            )
        return facility

    def apply(self, specs, actor):
        self.applied: dict[str, Facility] = {}
        return super().apply(specs, actor)

    def apply_row(self, spec, actor):
        parent = self._facility(spec["parent"]) if spec["parent"] else None
        if spec["existing"] is not None:
            facility = Facility.objects.select_related("kind", "enterprise").get(pk=spec["existing"])
            changes = {"name": spec["name"]}
            if parent is not None:
                changes["parent"] = parent
            if spec["location"] is not None:
                changes["location"] = spec["location"]
            if spec["registration_code"]:
                changes["registration_code"] = spec["registration_code"]
            if spec["attributes"]:
                changes["attributes"] = spec["attributes"]
            facility, outcome = update_facility(actor, facility, **changes), UPDATED
        else:
            facility = register_facility(
                actor,
                enterprise=self.enterprise,
                kind=self.context.kinds[spec["kind"]],
                code=spec["code"],
                name=spec["name"],
                parent=parent,
                attributes=spec["attributes"],
                location=spec["location"],
                registration_code=spec["registration_code"],
            )
            outcome = CREATED
        if spec["status"] and spec["status"] != facility.status:
            change_status(actor, facility, spec["status"], reason=_("Excel import"))
        self.applied[spec["code"]] = facility
        return outcome

    def export_rows(self, queryset):
        facilities = list(queryset.select_related("kind", "parent").order_by("code"))
        by_pk = {f.pk: f for f in facilities}

        def depth(facility):  # parents first, so that the file imports into an empty enterprise too
            level, current, seen = 0, facility, set()
            while current.parent_id in by_pk and current.pk not in seen:
                seen.add(current.pk)
                level, current = level + 1, by_pk[current.parent_id]
            return level

        for f in sorted(facilities, key=lambda f: (depth(f), f.code)):
            yield [
                f.code,
                f.name,
                f.kind.name,
                f.parent.code if f.parent_id else "",
                FACILITY_STATUS_NAMES.get(f.status, f.status),
                _lon(f.location),
                _lat(f.location),
                f.registration_code,
                format_attributes(f.kind, f.attributes),
            ]


# --- monitoring points ---------------------------------------------------------------------------

RANGE_AND_THRESHOLDS = ("range_low", "range_high", *MonitoringPoint.THRESHOLDS)


class PointImporter(EnterpriseRecordsImporter):
    """Monitoring points (监测点位) of one enterprise, on its facilities."""

    kind = "points"
    title = gettext_lazy("Monitoring points")
    permissions = ("monitoring.add_monitoringpoint",)
    model = MonitoringPoint
    columns = [
        Column(
            "点位编号",
            "code",
            True,
            gettext_lazy("Unique within the enterprise; an existing code updates that point."),
            "TI-101",
        ),
        Column("点位名称", "name", True, "", "甲醇储罐温度"),
        Column("所属设施编号", "facility", True, gettext_lazy("Code of a facility of the enterprise."), "TK-01"),
        Column(
            "指标类型",
            "kind",
            True,
            gettext_lazy("Measurement kind code or name."),
            "温度",
            lambda: MeasurementKind.objects.values_list("code", "name"),
        ),
        Column("单位", "unit", False, gettext_lazy("The kind's unit when empty."), "℃"),
        Column("量程下限", "range_low", False, "", -20),
        Column("量程上限", "range_high", False, "", 100),
        Column("低低报", "low_low", False, gettext_lazy("Thresholds: low-low ≤ low ≤ high ≤ high-high."), -10),
        Column("低报", "low", False, "", 0),
        Column("高报", "high", False, "", 60),
        Column("高高报", "high_high", False, "", 80),
        Column("位号", "bit_number", False, "", "TI101"),
        Column("上报周期(秒)", "period_s", False, gettext_lazy("60 when empty."), 60),
        Column("安装位置", "position", False, "", "罐顶"),
        Column("是否在用", "in_use", False, gettext_lazy("是 or 否; 是 when empty."), YES),
    ]

    def prepare(self, rows):
        kinds = {k.code: k for k in MeasurementKind.objects.all()}
        return SimpleNamespace(
            kinds=kinds,
            kind_lookup=CodeLookup((k.code, k.name) for k in kinds.values()),
            facilities={
                f.code: f
                for f in Facility.objects.active().filter(enterprise=self.enterprise).select_related("enterprise")
            },
            existing={p.code: p for p in MonitoringPoint.objects.filter(enterprise=self.enterprise)},
        )

    def parse_row(self, row, context):
        values = clean_fields(
            row,
            {
                "code": text(_max(MonitoringPoint, "code"), required=True),
                "name": text(_max(MonitoringPoint, "name"), required=True),
                "facility": text(_max(Facility, "code"), required=True),
                "kind": code(context.kind_lookup, required=True),
                "unit": text(_max(MonitoringPoint, "unit")),
                **{key: number() for key in RANGE_AND_THRESHOLDS},
                "bit_number": text(_max(MonitoringPoint, "bit_number")),
                "period_s": number(1, MAX_INTEGER, integer=True),
                "position": text(_max(MonitoringPoint, "position")),
                "in_use": boolean(),
            },
        )
        if values["facility"] not in context.facilities:
            raise InvalidInput(_("Unknown facility code %(code)s.") % {"code": values["facility"]}, field="facility")
        existing = context.existing.get(values["code"])
        if existing is not None and existing.deleted:
            raise InvalidInput(_("This code belongs to a retired point."), field="code")
        limits = {
            key: values[key] if values[key] is not None or existing is None else getattr(existing, key)
            for key in RANGE_AND_THRESHOLDS
        }
        errors = threshold_errors(limits)
        if errors:
            raise InvalidInput(_("The monitoring point is invalid."), errors=errors)
        given = {
            key: values[key]
            for key in ("unit", *RANGE_AND_THRESHOLDS, "bit_number", "period_s", "position", "in_use")
            if values[key] not in ("", None)
        }
        return {
            "code": values["code"],
            "name": values["name"],
            "facility": values["facility"],
            "kind": values["kind"],
            "fields": given,
            "existing": existing.pk if existing is not None else None,
        }

    def apply_row(self, spec, actor):
        facility = self.context.facilities[spec["facility"]]
        kind = self.context.kinds[spec["kind"]]
        if spec["existing"] is not None:
            point = MonitoringPoint.objects.select_related("facility", "kind", "enterprise").get(pk=spec["existing"])
            update_point(actor, point, facility=facility, kind=kind, name=spec["name"], **spec["fields"])
            return UPDATED
        create_point(actor, facility=facility, kind=kind, code=spec["code"], name=spec["name"], **spec["fields"])
        return CREATED

    def export_rows(self, queryset):
        for p in queryset.select_related("facility", "kind").order_by("code").iterator(chunk_size=1000):
            yield [
                p.code,
                p.name,
                p.facility.code,
                p.kind.name,
                p.unit,
                *(getattr(p, key) for key in RANGE_AND_THRESHOLDS),
                p.bit_number,
                p.period_s,
                p.position,
                YES if p.in_use else NO,
            ]


IMPORTERS: dict[str, type[Importer]] = {
    EnterpriseImporter.kind: EnterpriseImporter,
    FacilityImporter.kind: FacilityImporter,
    PointImporter.kind: PointImporter,
}
