"""Cluster-policy rules, checked against a job cluster spec at runs/submit as Databricks checks them.

A policy definition maps an attribute path (`spark_version`, `autoscale.max_workers`,
`spark_conf.spark.x`, `custom_tags.team`, the virtual `cluster_type`) to a rule. Each rule type
is one small class in RULE_TYPES, so the rest of the grammar (regex, unlimited, dbus_per_hour...)
can be added beside them without touching the checker.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from databricks_emulator.errors import ApiError, invalid_parameter

MISSING = object()
KEYED_SECTIONS = ("spark_conf", "spark_env_vars", "custom_tags")  # the rest of the path is one key


@dataclass(frozen=True)
class Rule:
    attribute: str
    spec: dict

    @property
    def optional(self) -> bool:
        return bool(self.spec.get("isOptional"))

    def default(self) -> Any:
        return self.spec.get("defaultValue", MISSING)

    def violation(self, value: Any) -> str | None:
        """Why the value breaks the rule, or None. value is MISSING when the spec omits it."""
        raise NotImplementedError


class Fixed(Rule):
    def default(self) -> Any:
        return self.spec.get("value")

    def violation(self, value: Any) -> str | None:
        if value != self.spec.get("value"):
            return f"the value must be {self.spec.get('value')!r}"
        return None


class Forbidden(Rule):
    def violation(self, value: Any) -> str | None:
        return None if value is MISSING else "the attribute is forbidden by the policy"


class Allowlist(Rule):
    def violation(self, value: Any) -> str | None:
        if value in self.spec.get("values", []):
            return None
        return f"the value must be one of {self.spec.get('values', [])!r}"


class Blocklist(Rule):
    def violation(self, value: Any) -> str | None:
        if value in self.spec.get("values", []):
            return f"the value must not be one of {self.spec.get('values', [])!r}"
        return None


class Range(Rule):
    def violation(self, value: Any) -> str | None:
        low, high = self.spec.get("minValue"), self.spec.get("maxValue")
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return "the value must be a number"
        if low is not None and value < low:
            return f"the value must be at least {low}"
        if high is not None and value > high:
            return f"the value must be at most {high}"
        return None


class Unlimited(Rule):
    def violation(self, value: Any) -> str | None:
        return None


RULE_TYPES: dict[str, type[Rule]] = {
    "fixed": Fixed, "forbidden": Forbidden, "allowlist": Allowlist, "blocklist": Blocklist,
    "range": Range, "unlimited": Unlimited,
}


def parse_rules(definition: dict) -> list[Rule]:
    rules = []
    for attribute, spec in definition.items():
        rule_type = RULE_TYPES.get(spec.get("type"))
        if rule_type is None:
            raise invalid_parameter(
                f"Policy rule for {attribute} has type {spec.get('type')!r}; the emulator knows {sorted(RULE_TYPES)}.")
        rules.append(rule_type(attribute, spec))
    return rules


def _split(attribute: str) -> tuple[list[str], str]:
    for section in KEYED_SECTIONS:
        if attribute.startswith(section + "."):
            return [section], attribute[len(section) + 1:]
    *parents, leaf = attribute.split(".")
    return parents, leaf


def read_attribute(cluster: dict, attribute: str) -> Any:
    if attribute == "cluster_type":
        return "job"  # a runs/submit cluster is always a job cluster
    parents, leaf = _split(attribute)
    node: Any = cluster
    for part in parents:
        node = node.get(part) if isinstance(node, dict) else None
    return node.get(leaf, MISSING) if isinstance(node, dict) else MISSING


def write_attribute(cluster: dict, attribute: str, value: Any) -> None:
    if attribute == "cluster_type":
        return
    parents, leaf = _split(attribute)
    node = cluster
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = value


def enforce(rules: list[Rule], cluster: dict, apply_defaults: bool) -> dict:
    """The cluster spec with fixed (and, if asked, default) values applied; ApiError on a violation."""
    cluster = {**cluster}
    for rule in rules:
        value = read_attribute(cluster, rule.attribute)
        filled = isinstance(rule, Fixed) or apply_defaults
        if value is MISSING and filled and rule.default() is not MISSING:
            write_attribute(cluster, rule.attribute, rule.default())
            value = read_attribute(cluster, rule.attribute)
        if value is MISSING and (rule.optional or isinstance(rule, (Forbidden, Blocklist, Unlimited))):
            continue
        reason = rule.violation(value) if value is not MISSING else "the value must be present"
        if reason:
            shown = "missing" if value is MISSING else repr(value)
            raise ApiError(400, "INVALID_PARAMETER_VALUE",
                           f"Cluster validation error: Validation failed for {rule.attribute}, {reason} (is {shown}).")
    return cluster
