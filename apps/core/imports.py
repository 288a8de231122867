"""Excel import (Excel导入): a downloadable template, validation of every row, then all rows or none.

An ``Importer`` declares its ``columns`` and implements ``parse_row`` (one row → a spec, or a row
error) and ``apply`` (write every spec, normally through ``apply_row`` calling the domain's services).
``run`` reads the uploaded workbook, validates every row first, reports duplicates of the key column,
and only when nothing is wrong applies all rows in one transaction; an error raised by a service while
applying is reported against its row too and rolls everything back. Progress goes to a callback
``(done, total, phase)``.

Header labels are fixed Chinese text, not translated: a file travels between users of any interface
language. Messages and explanations are translated.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any, NamedTuple

from django.db import DataError, IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill

from .attributes import clean_value
from .exceptions import DomainError, InvalidInput

MAX_ROWS = 20_000
MAX_BYTES = 10 * 1024 * 1024
PROGRESS_EVERY = 100
VALIDATING, IMPORTING = "validating", "importing"
NOTES_SHEET = "说明"
LIST_SEPARATORS = ("、", ",", "，", ";", "；")
ZIP_SIGNATURE = b"PK\x03\x04"  # an .xlsx is a zip archive


class Column(NamedTuple):
    """A column of an import file: its header, the key it fills, whether a value is required."""

    label: str
    key: str
    required: bool = False
    help: str = ""
    example: Any = ""
    codes: Callable[[], Iterable[tuple[str, str]]] | None = None  # allowed values, listed in the 说明 sheet


class ImportFileError(InvalidInput):
    """The file as a whole cannot be imported (not a workbook, wrong headers, empty, too big)."""

    default_message = gettext_lazy("The file cannot be imported.")


@dataclass
class ImportResult:
    total: int = 0
    created: int = 0
    updated: int = 0
    errors: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


CREATED, UPDATED = "created", "updated"


# --- cells -------------------------------------------------------------------------------------


def cell_text(value) -> str:
    """A cell as text: numbers typed into code columns (370102, 110.0) lose their decimal point."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def split_list(value) -> list[str]:
    text = cell_text(value)
    for separator in LIST_SEPARATORS[1:]:
        text = text.replace(separator, LIST_SEPARATORS[0])
    return [item.strip() for item in text.split(LIST_SEPARATORS[0]) if item.strip()]


def _missing(value) -> bool:
    return cell_text(value) == ""


class CodeLookup:
    """Resolves a code or its name (e.g. ``above_designated`` or 规模以上) to the code."""

    def __init__(self, pairs: Iterable[tuple[str, str]], aliases: dict[str, str] | None = None):
        self.pairs = [(str(code), str(name)) for code, name in pairs]
        self.by_text = {name: code for code, name in self.pairs}
        self.by_text.update(aliases or {})
        self.by_text.update({code: code for code, _name in self.pairs})

    def resolve(self, value) -> str:
        text = cell_text(value)
        code = self.by_text.get(text)
        if code is None:
            raise ValueError(
                _("Unknown value %(value)s: use a code or a name listed in the 说明 sheet.") % {"value": text}
            )
        return code


def choices_lookup(choices, names: dict[str, str] | None = None) -> CodeLookup:
    """A lookup over model choices: the value, the given Chinese ``names`` and the label in the current language."""
    names = names or {}
    aliases = {str(label): value for value, label in choices}
    return CodeLookup([(value, names.get(value, str(label))) for value, label in choices], aliases)


# Cleaners: each takes a cell value and returns the cleaned value, or raises ValueError/InvalidInput.


def text(max_length: int | None = None, *, required: bool = False):
    def clean(value):
        result = cell_text(value)
        if required and not result:
            raise ValueError(_("This column is required."))
        if max_length is not None and len(result) > max_length:
            raise ValueError(_("At most %(n)d characters.") % {"n": max_length})
        return result

    return clean


def number(minimum=None, maximum=None, *, integer=False, required=False):
    spec = {"type": "integer" if integer else "number", "min": minimum, "max": maximum}

    def clean(value):
        if _missing(value):
            if required:
                raise ValueError(_("This column is required."))
            return None
        return clean_value(spec, cell_text(value) if isinstance(value, str) else value)

    return clean


def boolean():
    def clean(value):
        return None if _missing(value) else clean_value({"type": "boolean"}, cell_text(value))

    return clean


def code(lookup: CodeLookup, *, required=False):
    def clean(value):
        if _missing(value):
            if required:
                raise ValueError(_("This column is required."))
            return ""
        return lookup.resolve(value)

    return clean


def codes(lookup: CodeLookup):
    def clean(value):
        return list(dict.fromkeys(lookup.resolve(item) for item in split_list(value)))

    return clean


def clean_fields(row: dict, cleaners: dict[str, Callable]) -> dict:
    """Every cleaner applied to its cell; all the problems of a row are reported at once."""
    values, errors = {}, {}
    for key, clean in cleaners.items():
        try:
            values[key] = clean(row.get(key))
        except InvalidInput as exc:
            for name, messages in (exc.errors or {exc.field or key: [exc.message]}).items():
                errors.setdefault(key if name == "detail" else name, []).extend(messages)
        except ValueError as exc:
            errors.setdefault(key, []).append(str(exc))
    if errors:
        raise InvalidInput(_("The row is invalid."), errors=errors)
    return values


def location(values: dict, lon="longitude", lat="latitude"):
    """A WGS84 point from two columns that are given together or not at all."""
    from django.contrib.gis.geos import Point

    if values.get(lon) is None and values.get(lat) is None:
        return None
    if values.get(lon) is None or values.get(lat) is None:
        missing = lon if values.get(lon) is None else lat
        raise InvalidInput(_("Give both longitude and latitude, or neither."), field=missing)
    return Point(values[lon], values[lat], srid=4326)


def check_file(file) -> None:
    """Cheap checks before a workbook is opened: its size and the signature of an .xlsx (a zip archive)."""
    size = getattr(file, "size", None)
    if size is not None and size > MAX_BYTES:
        raise ImportFileError(
            _("The file is larger than %(mb)d MB.") % {"mb": MAX_BYTES // (1024 * 1024)}, field="file"
        )
    file.seek(0)
    signature = file.read(len(ZIP_SIGNATURE))
    file.seek(0)
    if not signature:
        raise ImportFileError(_("The file is empty."), field="file")
    if signature != ZIP_SIGNATURE:
        raise ImportFileError(_("The file is not an Excel workbook (.xlsx)."), field="file")


def _header(value) -> str:
    label = cell_text(value).replace("（", "(").replace("）", ")").replace(" ", "").replace("\u3000", "")
    return label.rstrip("*＊")


# --- the importer ----------------------------------------------------------------------------------


class Importer:
    """Base of an Excel importer. Subclasses declare ``columns`` and ``key_field`` and implement
    ``parse_row`` and ``apply_row`` (or ``apply``)."""

    kind = ""
    title = ""
    columns: list[Column] = []
    key_field = ""  # a value repeated in this column within one file is an error
    field_labels: dict[str, str] = {}  # service field names that are not column keys → the column label
    permissions: tuple[str, ...] = ()  # what the actor needs to import this kind at all

    def __init__(self, actor, **options):
        self.actor = actor
        self.options = options
        self.context = None
        self.row_number: int | None = None  # the Excel row being parsed
        self.progress: Callable[[int, int, str], None] | None = None

    # Hooks -------------------------------------------------------------------------------------

    def prepare(self, rows: list[tuple[int, dict]]):
        """Lookups loaded once for the whole file (code tables, existing records); passed to ``parse_row``."""
        return {}

    def parse_row(self, row: dict, context) -> Any:
        raise NotImplementedError

    def row_key(self, spec) -> Any:
        return spec.get(self.key_field) if isinstance(spec, dict) else None

    def apply_row(self, spec, actor) -> str:
        """Write one row through the domain's services; return ``CREATED`` or ``UPDATED``."""
        raise NotImplementedError

    def apply(self, specs: list[tuple[int, Any]], actor) -> tuple[int, int, list[dict]]:
        """Write every ``(row number, spec)``; each row in a savepoint so that its error is reported
        and the next rows still run (the caller rolls back everything when any row failed)."""
        created = updated = 0
        errors: list[dict] = []
        total = len(specs)
        for done, (number, spec) in enumerate(specs, start=1):
            try:
                with transaction.atomic():
                    outcome = self.apply_row(spec, actor)
            except DomainError as exc:
                errors.extend(self.row_errors(number, exc))
            except (DataError, IntegrityError) as exc:  # a constraint the validation did not foresee
                errors.extend(
                    self.row_errors(number, InvalidInput(_("The row could not be saved: %(error)s") % {"error": exc}))
                )
            else:
                created += outcome == CREATED
                updated += outcome == UPDATED
            if done % PROGRESS_EVERY == 0 or done == total:
                self.report(done, total, IMPORTING)
        return created, updated, errors

    def example(self) -> dict:
        return {c.key: c.example for c in self.columns}

    def allowed_values(self, column: Column) -> Iterable[tuple[str, str]]:
        """``(code, name)`` pairs a column accepts, listed in the 说明 sheet."""
        return column.codes() if column.codes else ()

    def notes(self) -> list[str]:
        return []

    def extra_sheets(self) -> list[tuple[str, list[str], list[list]]]:
        return []

    def export_row(self, obj) -> list:
        raise NotImplementedError

    def export_rows(self, queryset) -> Iterable[list]:
        """Rows in exactly the template's columns, so that an export can be edited and imported again."""
        return (self.export_row(obj) for obj in queryset)

    # Errors --------------------------------------------------------------------------------------

    def label_for(self, name: str | None) -> str | None:
        if not name:
            return None
        for column in self.columns:
            if column.key == name:
                return column.label
        return self.field_labels.get(name)

    def row_error(self, number: int | None, name: str | None, message: str) -> dict:
        detail = None
        if name and "." in name and self.label_for(name) is None:
            name, detail = name.split(".", 1)  # e.g. special_info.<industry> from a service
        column = self.label_for(name)
        if column and detail:
            column = f"{column}({detail})"
        text_ = _("%(column)s: %(message)s") % {"column": column, "message": message} if column else str(message)
        return {"row": number, "field": name or None, "column": column, "message": text_}

    def row_errors(self, number: int | None, exc: Exception) -> list[dict]:
        if isinstance(exc, DomainError):
            items = exc.errors.items() if exc.errors else [(exc.field, [exc.message])]
        else:
            items = [(None, [str(exc)])]
        return [
            self.row_error(number, None if name == "detail" else name, str(message))
            for name, messages in items
            for message in messages
        ]

    def report(self, done: int, total: int, phase: str) -> None:
        if self.progress is not None:
            self.progress(done, total, phase)

    # Reading -------------------------------------------------------------------------------------

    def read(self, file) -> list[tuple[int, dict]]:
        """``[(excel row number, {key: cell value})]`` of the first sheet's non-empty rows."""
        check_file(file)
        try:
            workbook = load_workbook(file, read_only=True, data_only=True)
        except Exception:  # openpyxl raises many kinds of error for a damaged or foreign archive
            raise ImportFileError(_("The file is not an Excel workbook (.xlsx)."), field="file") from None
        try:
            return self._read_sheet(workbook.worksheets[0])
        except ImportFileError:
            raise
        except Exception:  # malformed sheet XML and the like: the file, not the platform, is at fault
            raise ImportFileError(_("The workbook could not be read."), field="file") from None
        finally:
            workbook.close()

    def _read_sheet(self, sheet) -> list[tuple[int, dict]]:
        cells = sheet.iter_rows(values_only=True)
        header = next(cells, None)
        if header is None or all(_missing(v) for v in header):
            raise ImportFileError(_("The file is empty: the first row must hold the column headers."), field="file")
        keys = self._columns_of(header)
        rows = []
        for number, values in enumerate(cells, start=2):
            if all(_missing(v) for v in values):
                continue
            if len(rows) >= MAX_ROWS:
                raise ImportFileError(
                    _("The file has more than %(n)d rows; split it into several files.") % {"n": MAX_ROWS},
                    field="file",
                )
            rows.append((number, {key: values[i] for i, key in keys.items() if i < len(values)}))
        if not rows:
            raise ImportFileError(_("The file has no data rows."), field="file")
        return rows

    def _columns_of(self, header) -> dict[int, str]:
        by_label = {}
        for column in self.columns:
            by_label[_header(column.label)] = column
            by_label[column.key] = column
        keys: dict[int, str] = {}
        unknown, repeated = [], []
        for index, value in enumerate(header):
            label = _header(value)
            if not label:
                continue
            column = by_label.get(label)
            if column is None:
                unknown.append(cell_text(value))
            elif column.key in keys.values():
                repeated.append(column.label)
            else:
                keys[index] = column.key
        missing = [c.label for c in self.columns if c.required and c.key not in keys.values()]
        separator = "、"
        messages = []
        if unknown:
            messages.append(
                _("Unknown columns: %(columns)s; the template shows the expected headers.")
                % {"columns": separator.join(unknown)}
            )
        if repeated:
            messages.append(_("Repeated columns: %(columns)s.") % {"columns": separator.join(repeated)})
        if missing:
            messages.append(_("Missing required columns: %(columns)s.") % {"columns": separator.join(missing)})
        if messages:
            raise ImportFileError(messages[0], errors={"file": messages})
        return keys

    # Validating and applying ---------------------------------------------------------------------

    def validate(self, rows: list[tuple[int, dict]]) -> tuple[list[tuple[int, Any]], list[dict]]:
        """Every row parsed; ``(specs, errors)``. Rows are never skipped: all errors are collected."""
        total = len(rows)
        self.context = self.prepare(rows)
        example = {k: cell_text(v) for k, v in self.example().items() if cell_text(v)}
        specs, errors, seen = [], [], {}
        for done, (number, row) in enumerate(rows, start=1):
            self.row_number = number
            try:
                if example and all(cell_text(row.get(k)) == v for k, v in example.items()):
                    raise InvalidInput(_("This is the template's example row; delete it."))
                spec = self.parse_row(row, self.context)
            except (DomainError, ValueError) as exc:
                errors.extend(self.row_errors(number, exc))
            else:
                key = self.row_key(spec)
                if key not in (None, "") and key in seen:
                    errors.append(
                        self.row_error(
                            number, self.key_field, _("Repeats the value of row %(row)d.") % {"row": seen[key]}
                        )
                    )
                else:
                    seen.setdefault(key, number)
                    specs.append((number, spec))
            if done % PROGRESS_EVERY == 0 or done == total:
                self.report(done, total, VALIDATING)
        return specs, errors

    def run(self, file, progress: Callable[[int, int, str], None] | None = None) -> ImportResult:
        """Read, validate every row, and import all rows in one transaction only when none is wrong."""
        self.progress = progress
        try:
            rows = self.read(file)
        except ImportFileError as exc:
            return ImportResult(errors=self.row_errors(None, exc))
        result = ImportResult(total=len(rows))
        self.report(0, result.total, VALIDATING)
        specs, result.errors = self.validate(rows)
        if result.errors:
            return result
        self.report(0, result.total, IMPORTING)
        with transaction.atomic():
            result.created, result.updated, result.errors = self.apply(specs, self.actor)
            if result.errors:
                transaction.set_rollback(True)
                result.created = result.updated = 0
        result.errors.sort(key=lambda e: e["row"] or 0)
        return result

    # Template ------------------------------------------------------------------------------------

    def template(self) -> bytes:
        """The .xlsx template: the header row and one example row, then the 说明 sheet."""
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = str(self.title)[:31]
        sheet.append([c.label for c in self.columns])
        example = self.example()
        sheet.append([example.get(c.key, "") for c in self.columns])
        for index, column in enumerate(self.columns, start=1):
            header = sheet.cell(row=1, column=index)
            header.font = Font(bold=True, color="C00000" if column.required else "000000")
            header.fill = PatternFill("solid", fgColor="DDEBF7")
            sheet.cell(row=2, column=index).font = Font(italic=True, color="808080")
            sheet.column_dimensions[header.column_letter].width = max(12, len(column.label) * 2 + 4)
        sheet.freeze_panes = "A2"

        notes = workbook.create_sheet(NOTES_SHEET)
        notes.append([_("Column"), _("Required"), _("Description"), _("Allowed values (code and name)")])
        for cell in notes[1]:
            cell.font = Font(bold=True)
        for column in self.columns:
            values = "\n".join(f"{c} {n}" for c, n in self.allowed_values(column))
            notes.append([column.label, _("Yes") if column.required else _("No"), str(column.help), values])
        notes.append([])
        general = [
            _("Keep the header row as it is; one record per row from the second row on."),
            _("Headers in red are required. Replace or delete the grey example row."),
            _("Code columns accept the code or the name listed here; lists are separated by 、."),
            _("Every row is checked first: if any row is wrong nothing is imported and each error is listed."),
            _("At most %(rows)d rows and %(mb)d MB per file.") % {"rows": MAX_ROWS, "mb": MAX_BYTES // (1024 * 1024)},
            *map(str, self.notes()),
        ]
        for line in general:
            notes.append([line])
        for letter, width in zip("ABCD", (24, 10, 60, 50), strict=True):
            notes.column_dimensions[letter].width = width

        for title, headers, rows in self.extra_sheets():
            extra = workbook.create_sheet(title[:31])
            extra.append(headers)
            for cell in extra[1]:
                cell.font = Font(bold=True)
            for row in rows:
                extra.append(row)
        buffer = BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()
