"""Data-described attributes: every type, required fields, field-level errors."""

import pytest

from apps.core.attributes import check_schema, validate_attributes
from apps.core.exceptions import InvalidInput

SCHEMA = [
    {"key": "medium", "label": "介质", "type": "string", "required": True},
    {"key": "capacity_m3", "label": "容积", "type": "number", "min": 0, "max": 100000},
    {"key": "persons", "label": "核定人员", "type": "integer", "min": 0},
    {"key": "pressurised", "label": "压力", "type": "boolean"},
    {"key": "since", "label": "投用日期", "type": "date"},
    {"key": "roof", "label": "罐型", "type": "choice", "choices": [["fixed", "固定顶"], ["floating", "浮顶"]]},
    {"key": "stored", "label": "储存物质", "type": "substances"},
]


def test_valid_values_are_normalised():
    cleaned = validate_attributes(
        SCHEMA,
        {
            "medium": " 甲醇 ",
            "capacity_m3": "5000",
            "persons": 3,
            "pressurised": "是",
            "since": "2020-01-02",
            "roof": "浮顶",
            "stored": [{"name": "硝酸铵", "quantity_t": "12.5"}],
        },
    )
    assert cleaned == {
        "medium": "甲醇",
        "capacity_m3": 5000.0,
        "persons": 3,
        "pressurised": True,
        "since": "2020-01-02",
        "roof": "floating",
        "stored": [{"name": "硝酸铵", "quantity_t": 12.5}],
    }


@pytest.mark.parametrize(
    ("values", "bad"),
    [
        ({}, "medium"),
        ({"medium": "x", "capacity_m3": -1}, "capacity_m3"),
        ({"medium": "x", "capacity_m3": "NaN"}, "capacity_m3"),
        ({"medium": "x", "persons": 2.5}, "persons"),
        ({"medium": "x", "pressurised": "maybe"}, "pressurised"),
        ({"medium": "x", "since": "2020-13-01"}, "since"),
        ({"medium": "x", "roof": "dome"}, "roof"),
        ({"medium": "x", "stored": [{"quantity_t": 1}]}, "stored"),
        ({"medium": "x", "stored": [{"name": "a", "quantity_t": -2}]}, "stored"),
        ({"medium": "x", "colour": "red"}, "colour"),
    ],
)
def test_each_problem_is_reported_on_its_attribute(values, bad):
    with pytest.raises(InvalidInput) as error:
        validate_attributes(SCHEMA, values)
    assert f"attributes.{bad}" in error.value.as_dict()


def test_partial_validation_skips_required():
    assert validate_attributes(SCHEMA, {"persons": 1}, partial=True) == {"persons": 1}


def test_schema_check_finds_broken_schemas():
    assert check_schema(SCHEMA) == []
    problems = check_schema([{"key": "a", "type": "colour"}, {"key": "a", "type": "choice"}])
    assert len(problems) == 3
