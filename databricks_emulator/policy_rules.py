"""Cluster-policy rules, checked against a job cluster spec at runs/submit as Databricks checks them.

A policy definition maps an attribute path (`spark_version`, `autoscale.max_workers`,
`spark_conf.spark.x`, `custom_tags.team`, the virtual `cluster_type` and `dbus_per_hour`) to a rule.
Each rule type is one small class in RULE_TYPES. As on Databricks: fixed values are always filled
in, defaults only with apply_policy_default_values; a limiting rule (allowlist, blocklist, regex,
range, unlimited) makes its attribute required unless isOptional; a regex matches the whole value;
`hidden` only hides the attribute in the UI, so the API treats a hidden rule like any other.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

from databricks_emulator.errors import ApiError, invalid_parameter
from databricks_emulator.node_types import node_type

MISSING = object()
KEYED_SECTIONS = ("spark_conf", "spark_env_vars", "custom_tags")  # the rest of the path is one key
VIRTUAL = ("cluster_type", "dbus_per_hour")  # computed from the spec, never written into it


@dataclass(frozen=True)
class Rule:
    attribute: str
    spec: dict

    required = True  # limiting rules: the attribute must be set unless isOptional

    @property
    def optional(self) -> bool:
        return bool(self.spec.get("isOptional")) or not self.required

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
    required = False

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


class Regex(Rule):
    def __init__(self, attribute: str, spec: dict) -> None:
        super().__init__(attribute, spec)
        try:
            re.compile(spec.get("pattern", ""))
        except re.error as error:
            raise invalid_parameter(f"Policy rule for {attribute} has an invalid regex: {error}.") from None

    def violation(self, value: Any) -> str | None:
        pattern = self.spec.get("pattern", "")
        if isinstance(value, str) and re.fullmatch(pattern, value):
            return None
        return f"the value must match the regex {pattern!r}"


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
    "regex": Regex, "range": Range, "unlimited": Unlimited,
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


def dbus_per_hour(cluster: dict) -> float:
    """Driver plus workers at their node types' DBU rates; an autoscaling cluster at max_workers."""
    workers_type = cluster.get("node_type_id")
    if not workers_type:
        raise invalid_parameter("Cluster validation error: node_type_id must be provided to compute dbus_per_hour.")
    autoscale = cluster.get("autoscale")
    workers = autoscale.get("max_workers", 0) if autoscale else cluster.get("num_workers", 0)
    driver = node_type(cluster.get("driver_node_type_id") or workers_type).dbus_per_hour
    return round(driver + workers * node_type(workers_type).dbus_per_hour, 6)


def read_attribute(cluster: dict, attribute: str) -> Any:
    if attribute == "cluster_type":
        return "job"  # a runs/submit cluster is always a job cluster
    if attribute == "dbus_per_hour":
        return dbus_per_hour(cluster)
    parents, leaf = _split(attribute)
    node: Any = cluster
    for part in parents:
        node = node.get(part) if isinstance(node, dict) else None
    return node.get(leaf, MISSING) if isinstance(node, dict) else MISSING


def write_attribute(cluster: dict, attribute: str, value: Any) -> None:
    if attribute in VIRTUAL:
        return
    parents, leaf = _split(attribute)
    node = cluster
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = value


def enforce(rules: list[Rule], cluster: dict, apply_defaults: bool) -> dict:
    """The cluster spec with fixed (and, if asked, default) values applied; ApiError on a violation."""
    cluster = copy.deepcopy(cluster)
    for rule in rules:  # fill in first, so that dbus_per_hour prices the cluster that will run
        filled = isinstance(rule, Fixed) or apply_defaults
        if filled and rule.default() is not MISSING and read_attribute(cluster, rule.attribute) is MISSING:
            write_attribute(cluster, rule.attribute, rule.default())
    for rule in rules:
        value = read_attribute(cluster, rule.attribute)
        if value is MISSING and rule.optional:
            continue
        reason = rule.violation(value) if value is not MISSING else "the value must be present"
        if reason:
            shown = "missing" if value is MISSING else repr(value)
            raise ApiError(400, "INVALID_PARAMETER_VALUE",
                           f"Cluster validation error: Validation failed for {rule.attribute}, {reason} (is {shown}).")
    return cluster
