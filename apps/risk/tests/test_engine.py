"""The scoring engine: weighted means with no-data indicators left out, contributions that add up,
rules that force a level, and definitions checked field by field."""

import pytest

from apps.risk import engine


def leaf(code, weight, source="s", scoring=None):
    return {
        "code": code,
        "name": code,
        "weight": weight,
        "source": source,
        "scoring": scoring or {"type": "linear", "zero": 0, "full": 10},
    }


DEFINITION = {
    "thresholds": {"1": 75, "2": 50, "3": 25},
    "indicators": [
        {"code": "a", "name": "A", "weight": 60, "children": [leaf("a1", 1), leaf("a2", 3)]},
        {"code": "b", "name": "B", "weight": 40, "children": [leaf("b1", 1)]},
        leaf("flag", 0, scoring={"type": "map", "map": {"0": 0, "1": 100}}),
    ],
    "rules": [{"code": "veto", "name": "veto", "indicator": "flag", "op": ">=", "value": 1, "level": 1}],
}


def test_given_all_data_when_evaluated_then_score_is_the_weighted_mean_and_contributions_add_up():
    result = engine.evaluate(DEFINITION, {"a1": 10, "a2": 0, "b1": 5, "flag": 0})
    # a = (1×100 + 3×0)/4 = 25; b = 50; total = 0.6×25 + 0.4×50 = 35
    assert result.score == 35
    assert result.level == 3
    leaves = [row for row in result.breakdown if row.get("source")]
    assert sum(row["contribution"] for row in leaves) == pytest.approx(35)
    a1 = next(row for row in result.breakdown if row["code"] == "a1")
    assert a1["effective_weight"] == pytest.approx(0.15)
    assert result.coverage == 1.0


def test_given_an_indicator_without_data_then_it_is_no_data_and_its_siblings_share_its_weight():
    result = engine.evaluate(DEFINITION, {"a1": 10, "b1": 5})
    a2 = next(row for row in result.breakdown if row["code"] == "a2")
    assert a2["score"] is None and a2["contribution"] is None  # shown as no data, not zero
    # a = 100 (only a1), total = 0.6×100 + 0.4×50 = 80
    assert result.score == 80
    assert result.level == 1
    assert result.coverage == pytest.approx(0.6 * 0.25 + 0.4)


def test_given_no_data_at_all_then_no_score_and_no_level():
    result = engine.evaluate(DEFINITION, {})
    assert result.score is None and result.level is None and result.coverage == 0


def test_given_a_veto_then_the_rule_forces_red_whatever_the_score():
    result = engine.evaluate(DEFINITION, {"a1": 0, "a2": 0, "b1": 0, "flag": 1})
    assert result.score == 0
    assert result.level == 1 and result.rule == "veto"


def test_scoring_types():
    assert engine.score_value({"type": "linear", "zero": 100, "full": 50}, 75) == 50  # a rate: lower is riskier
    assert engine.score_value({"type": "linear", "zero": 0, "full": 10}, 30) == 100  # clamped
    assert engine.score_value({"type": "steps", "steps": [[0, 0], [1, 70], [2, 100]]}, 1.5) == 70
    assert engine.score_value({"type": "map", "map": {"1": 100}, "default": 5}, 3) == 5
    assert engine.score_value({"type": "map", "map": {"1": 100}}, 1.0) == 100


def test_given_a_broken_definition_then_every_problem_is_reported_by_path():
    broken = {
        "thresholds": {"1": 20, "2": 50, "3": 10},
        "indicators": [leaf("x", -1, scoring={"type": "linear", "zero": 1, "full": 1}), leaf("x", 1, source="nope")],
        "rules": [{"code": "r", "indicator": "missing", "op": "~", "value": "a", "level": 5}],
    }
    with pytest.raises(engine.DefinitionError) as caught:
        engine.validate(broken, known_sources={"s"})
    errors = caught.value.errors
    assert "thresholds" in errors
    assert "indicators[0].weight" in errors and "indicators[0].scoring" in errors
    assert "indicators[1].code" in errors and "indicators[1].source" in errors
    assert {"rules[0].indicator", "rules[0].op", "rules[0].value", "rules[0].level"} <= set(errors)


def test_drivers_are_the_indicators_whose_contribution_grew_most():
    before = engine.evaluate(DEFINITION, {"a1": 0, "a2": 0, "b1": 5}).breakdown
    after = engine.evaluate(DEFINITION, {"a1": 0, "a2": 10, "b1": 6}).breakdown
    drivers = engine.drivers(after, before)
    assert [d["code"] for d in drivers] == ["a2", "b1"]
    assert drivers[0]["delta"] > drivers[1]["delta"] > 0


def test_suggestions_are_the_advice_of_the_largest_contributors():
    definition = {
        "thresholds": {"1": 75, "2": 50, "3": 25},
        "indicators": [
            {**leaf("x", 1), "advice": "do x"},
            {**leaf("y", 1), "advice": "do y"},
            leaf("z", 1),
        ],
    }
    result = engine.evaluate(definition, {"x": 2, "y": 8, "z": 10})
    assert [s["advice"] for s in engine.suggestions(result.breakdown)] == ["do y", "do x"]
    bad = {**definition, "indicators": [{**leaf("x", 1), "advice": 3}]}
    with pytest.raises(engine.DefinitionError):
        engine.validate(bad)
