"""Workbooks built in memory for import tests, and jobs run the way the task runs them."""

from io import BytesIO

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from apps.core.exports import XLSX
from apps.imports.importers import IMPORTERS
from apps.imports.models import ImportJob


def workbook(headers: list[str], rows: list[list], name: str = "data.xlsx") -> SimpleUploadedFile:
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = BytesIO()
    book.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=XLSX)


def sheet_of(kind: str, rows: list[dict], name: str = "data.xlsx") -> SimpleUploadedFile:
    """A workbook in the template's columns; each row maps header labels to cell values."""
    labels = [c.label for c in IMPORTERS[kind].columns]
    return workbook(labels, [[row.get(label) for label in labels] for row in rows], name)


def read_rows(content: bytes) -> list[tuple]:
    return list(load_workbook(BytesIO(content), read_only=True).worksheets[0].iter_rows(values_only=True))


def job(actor, kind: str, file, enterprise=None) -> ImportJob:
    """A job as the API creates it, without scheduling the task."""
    return ImportJob.objects.create(
        kind=kind,
        file=file,
        original_name=file.name,
        created_by=actor,
        organisation_id=actor.organisation_id,
        enterprise=enterprise,
    )


def facility_rows() -> list[dict]:
    """A tank farm, a storage tank under it (in the next row), and a warehouse with substances."""
    return [
        {
            "设施编号": "T1",
            "设施名称": "甲醇罐区",
            "设施类型": "罐区",
            "属性": "储罐数量=2；总罐容=1000；火灾危险性类别=甲B类；设置紧急切断=是",
        },
        {
            "设施编号": "V-101",
            "设施名称": "1号甲醇储罐",
            "设施类型": "储罐",
            "上级设施编号": "T1",
            "状态": "停用",
            "经度": 117.03,
            "纬度": 36.66,
            "属性": "储存介质=甲醇; capacity_m3=500；罐型=内浮顶罐",
        },
        {"设施编号": 102, "设施名称": "仓库", "设施类型": "warehouse", "属性": "储存物质及数量=硝酸铵:20、氯酸钾:1.5"},
    ]
