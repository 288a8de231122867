"""Checking one exchange record against its table: presence, type, length, code list, format, files,
then the table's cross-field rules. Pure functions, no database: the receiver does the lookups.

A record's problems come back as ``{FIELD: Problem(code, message)}``, one per field (the first
found), so the sender learns every broken field of the record at once. ``code`` is stable (it
groups rejections by reason in the data-quality view); ``message`` is for people.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from .specs import DatasetSpec, FieldSpec, gas_station_codes

BEIJING = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
DATETIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATA_URL_RE = re.compile(r"^data:([\w.+-]+/[\w.+-]+)?(;[\w-]+=[^;,]*)*;base64,", re.IGNORECASE)
DEFAULT_IMAGE_MAX_BYTES = 4_000_000  # "最大4MB" read decimally: a 4.1 MB file fails either reading

# Magic numbers of the file types the tables allow (the declared type is not trusted alone).
SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"BM", "image/bmp", "bmp"),
    (b"%PDF-", "application/pdf", "pdf"),
)


@dataclass(frozen=True)
class Problem:
    code: str
    message: str


@dataclass
class DecodedFile:
    content: bytes
    media_type: str
    extension: str


@dataclass
class Checked:
    """One record after checking: the values as parsed, its problems and its soft warnings."""

    values: dict = field(default_factory=dict)  # parsed: datetimes aware (Beijing), files decoded
    errors: dict[str, Problem] = field(default_factory=dict)
    warnings: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _as_text(value) -> str | None:
    """Text fields take strings; a plain integer is read as its digits (some senders send 0 for "0")."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def parse_datetime(value: str) -> dt.datetime | None:
    # Read by position once the pattern has fixed every one (strptime cost ten times as much, and
    # every record carries one or two times); the length check refuses the newline ``$`` allows.
    if len(value) != 19 or not DATETIME_RE.match(value):
        return None
    try:
        return dt.datetime(
            int(value[0:4]),
            int(value[5:7]),
            int(value[8:10]),
            int(value[11:13]),
            int(value[14:16]),
            int(value[17:19]),
            tzinfo=BEIJING,
        )
    except ValueError:
        return None


def format_datetime(value: dt.datetime) -> str:
    """The exchange format, ``yyyy-MM-dd HH:mm:ss`` in Beijing time."""
    return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def decode_file(value: str, spec: FieldSpec) -> DecodedFile | Problem:
    """A base64 data URL (or bare base64) of an allowed type and size."""
    rules = spec.file or {}
    declared = None
    match = DATA_URL_RE.match(value)
    if match:
        declared = (match.group(1) or "").lower() or None
        body = value[match.end() :]
    elif value.startswith("data:"):
        return Problem("file_format", _("Send the file as a base64 data URL (data:<type>;base64,…)."))
    else:
        body = value
    try:
        content = base64.b64decode(body.strip(), validate=False)
    except (binascii.Error, ValueError):
        return Problem("file_format", _("The file is not valid base64."))
    if not content:
        return Problem("required", _("The file is empty."))
    media_type = extension = None
    for signature, kind, ext in SIGNATURES:
        if content.startswith(signature):
            media_type, extension = kind, ext
            break
    allowed = rules.get("media_types") or ["image/png", "image/jpeg", "image/bmp"]
    if media_type is None or media_type not in allowed:
        names = ", ".join(e.upper() for e in rules.get("extensions") or ["png", "jpg", "jpeg", "bmp"])
        return Problem("file_type", _("File type not allowed: use %(types)s.") % {"types": names})
    if declared and declared not in (media_type, "image/jpg", "application/octet-stream"):
        return Problem(
            "file_type",
            _("The data URL says %(declared)s but the file is %(actual)s.")
            % {
                "declared": declared,
                "actual": media_type,
            },
        )
    limit = rules.get("max_bytes") if media_type != "application/pdf" else None
    if media_type.startswith("image/"):
        limit = rules.get("max_bytes") or rules.get("image_max_bytes") or DEFAULT_IMAGE_MAX_BYTES
    if limit and len(content) > limit:
        return Problem(
            "file_size",
            _("The file is %(size)s bytes; at most %(limit)s are allowed.") % {"size": len(content), "limit": limit},
        )
    return DecodedFile(content, media_type, extension)


def check_field(spec: FieldSpec, value):
    """The parsed value of one present (non-blank) field, or a Problem."""
    kind = spec.kind
    if kind in ("integer", "decimal"):
        return _check_number(spec, value)
    text = _as_text(value)
    if text is None:
        return Problem("type", _("Expected text."))
    if kind == "uuid":
        if not UUID_RE.match(text):
            return Problem("uuid", _("Must be a 36-character UUID."))
        return text.lower()
    if kind in ("code", "enum"):
        if text not in spec.codes:
            return Problem(
                "code",
                _("Unknown code %(value)s; allowed: %(codes)s.")
                % {
                    "value": text[:40],
                    "codes": ", ".join(spec.codes),
                },
            )
        return text
    if kind == "datetime":
        parsed = parse_datetime(text)
        if parsed is None:
            return Problem("datetime", _("Use the format yyyy-MM-dd HH:mm:ss."))
        return parsed
    if kind == "date":
        try:
            if not DATE_RE.match(text):
                raise ValueError
            return dt.date.fromisoformat(text)
        except ValueError:
            return Problem("date", _("Use the format yyyy-MM-dd."))
    if kind == "file":
        return decode_file(text, spec)
    # plain text
    if spec.length and spec.length_enforced and len(text) > spec.length:
        return Problem(
            "max_length",
            _("At most %(length)s characters (this has %(actual)s).")
            % {
                "length": spec.length,
                "actual": len(text),
            },
        )
    if spec.pattern and not re.fullmatch(spec.pattern, text):
        return Problem("pattern", _("Does not have the required form."))
    return text


def _check_number(spec: FieldSpec, value):
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return Problem("type", _("Expected a number."))
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return Problem("type", _("Expected a number."))
    if not number.is_finite():
        return Problem("type", _("Expected a number."))
    if spec.kind == "integer":
        if number != number.to_integral_value():
            return Problem("type", _("Expected a whole number."))
        digits = spec.length or 18
        if number < 1 or number >= 10**digits:
            return Problem("range", _("Must be between 1 and %(max)s.") % {"max": 10**digits - 1})
        return int(number)
    scale = spec.scale if spec.scale is not None else 6
    precision = spec.precision or 18
    if -number.as_tuple().exponent > scale:
        return Problem("scale", _("At most %(scale)s decimal places.") % {"scale": scale})
    if abs(number) >= Decimal(10) ** (precision - scale):
        return Problem("range", _("Out of range."))
    return number


def check_record(spec: DatasetSpec, record: dict, *, gas_station: bool = False) -> Checked:
    """Check one record of ``spec``; ``gas_station`` selects the gas-station code lists."""
    checked = Checked()
    values = checked.values
    errors = checked.errors
    get = record.get
    for f in spec.fields:
        value = get(f.id)
        if value.__class__ is str and value and not value.isspace():
            # The common cases, decided here exactly as check_field would (a record has a dozen
            # fields and an upload a thousand records): a listed code, a plain text within its length.
            kind = f.kind
            if kind == "code" or kind == "enum":
                if value in f.codes and not (gas_station and kind == "code"):
                    values[f.id] = value
                    continue
            elif (
                kind == "string"
                and f.pattern is None
                and not (f.length and f.length_enforced and len(value) > f.length)
            ):
                values[f.id] = value
                continue
        elif _is_blank(value):
            required = f.required
            if f.required_when is not None:
                required = all(str(record.get(k)) in allowed for k, allowed in f.required_when.items())
            if required:
                errors[f.id] = Problem("required", _("This field is required."))
            continue
        if gas_station and f.kind == "code":
            variant = gas_station_codes(spec, f.id)
            if variant is not None:
                f = FieldSpec(**{**f.__dict__, "codes": variant})
        result = check_field(f, value)
        if isinstance(result, Problem):
            errors[f.id] = result
        else:
            values[f.id] = result
    rule = CROSS_RULES.get(spec.dataset)
    if rule is not None:
        rule(values, errors, checked.warnings)
    return checked


def _end_not_before_begin(begin: str, end: str):
    def rule(values, errors, warnings):
        if begin in values and end in values and values[end] < values[begin]:
            errors.setdefault(end, Problem("order", _("Must not be earlier than %(field)s.") % {"field": begin}))

    return rule


def _control_measure(values, errors, warnings):
    first, second = values.get("CLASSIFY1"), values.get("CLASSIFY2")
    if first and second and not second.startswith(f"{first}-"):
        errors.setdefault(
            "CLASSIFY2",
            Problem(
                "code_parent",
                _("%(code)s is not a sub-class of CLASSIFY1 %(parent)s.")
                % {
                    "code": second,
                    "parent": first,
                },
            ),
        )


def _special_work(values, errors, warnings):
    from django.conf import settings

    _end_not_before_begin("TASK_BEGIN_TIME", "TASK_END_TIME")(values, errors, warnings)
    strict = getattr(settings, "ANQUAN_EXCHANGE_STRICT_REASONS", False)
    for flag, reason in (("IS_CHANGED", "CHANGED_REASON"), ("IS_CANCELLED", "CANCELLED_REASON")):
        if values.get(flag) == "1" and not values.get(reason):
            problem = Problem("required", _("Give the reason when %(flag)s is 1.") % {"flag": flag})
            if strict:
                errors.setdefault(reason, problem)
            else:
                warnings.append({"field": reason, "message": problem.message})
    for optional in ("TASK_POSITION", "TASK_BEGIN_TIME", "TASK_END_TIME", "TASK_CONTENT"):
        if optional not in values and optional not in errors:
            warnings.append({"field": optional, "message": _("Not given: the record is incomplete.")})


def _positioning(values, errors, warnings):
    _end_not_before_begin("time", "handleTime")(values, errors, warnings)


CROSS_RULES = {
    "control-measures": _control_measure,
    "special-works": _special_work,
    "positioning-alarms": _positioning,
}
