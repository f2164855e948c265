"""The rule registry: ids, order, default severities, one module per rule."""

from __future__ import annotations

import pkgutil

import pytest

from luneo.core.checks import RULES, SEVERITIES, rules
from luneo.core.checks.registry import REGISTRY, register
from tests.unit.checks.helpers import ERROR, WARNING

#: Today's order: the order a statement's findings come in.
EXPECTED_ORDER = [
    ("require-concurrent-index", WARNING),
    ("adding-not-null-column", ERROR),
    ("adding-required-constraint", WARNING),
    ("ban-drop-column", WARNING),
    ("ban-drop-table", WARNING),
    ("renaming-column", WARNING),
    ("renaming-table", WARNING),
    ("changing-column-type", WARNING),
    ("table-without-rls", ERROR),
    ("security-definer-search-path", ERROR),
    ("if-not-exists-in-migration", WARNING),
    ("prefer-timestamptz", WARNING),
    ("ban-char-type", WARNING),
    ("prefer-identity", WARNING),
    ("syntax-error", ERROR),
    ("invalid-lint-directive", WARNING),
]


def test_registry_order_and_default_severities() -> None:
    assert list(SEVERITIES.items()) == EXPECTED_ORDER
    assert list(RULES) == [rule_id for rule_id, _ in EXPECTED_ORDER]
    assert list(REGISTRY) == list(RULES)
    assert {rule.id: (rule.severity, rule.description) for rule in REGISTRY.values()} == {
        rule_id: (SEVERITIES[rule_id], RULES[rule_id]) for rule_id in RULES
    }


def test_rules_describe_every_rule_on_one_line() -> None:
    assert "table-without-rls" in RULES
    for rule_id, description in RULES.items():
        assert rule_id == rule_id.lower()
        assert description
        assert "\n" not in description


def test_a_duplicate_id_is_refused() -> None:
    with pytest.raises(ValueError, match="duplicate lint rule ban-drop-table"):
        register(REGISTRY["ban-drop-table"])
    assert list(RULES) == [rule_id for rule_id, _ in EXPECTED_ORDER]


def test_the_registry_is_read_only() -> None:
    with pytest.raises(TypeError):
        RULES["new-rule"] = "x"  # type: ignore[index]
    with pytest.raises(TypeError):
        SEVERITIES["ban-drop-table"] = ERROR  # type: ignore[index]


def test_every_rule_module_is_registered_under_its_own_name() -> None:
    modules = {info.name for info in pkgutil.iter_modules(rules.__path__)}
    assert {rule.id.replace("-", "_") for rule in rules.ORDER} == modules
    for rule in rules.ORDER:
        module = getattr(rules, rule.id.replace("-", "_"))
        assert module.RULE is REGISTRY[rule.id]
        assert rule.check is module.check


def test_only_the_engine_rules_have_no_check() -> None:
    assert {rule.id for rule in REGISTRY.values() if rule.check is None} == {
        "syntax-error",
        "invalid-lint-directive",
    }
