"""Databricks' cluster-policy grammar, checked in Python before a job cluster is submitted.

A policy definition maps an attribute path to one rule. Paths are the Clusters API's names, dotted
for nesting (`autoscale.max_workers`, `aws_attributes.availability`); under `spark_conf`,
`spark_env_vars` and `custom_tags` the rest of the path is one key (`spark_conf.spark.x.y`). Two
paths are virtual: `cluster_type` (a runs/submit cluster is `job`) and `dbus_per_hour` (driver plus
workers from the rate card, an autoscaling cluster at max_workers).

Semantics, as Databricks documents them (docs/cost.md#cluster-policies):
- `fixed` values are always filled in; `defaultValue` only when the spec asks with
  `apply_policy_default_values`. A value the spec sets is checked, never overwritten.
- A limiting rule (allowlist, blocklist, regex, range, unlimited) makes its attribute required unless
  `isOptional`; `forbidden` refuses any value; `regex` must match the whole value.
- `hidden` only hides the attribute in the UI: the API checks and fills it like any other.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from typing import Any

from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import NotFound

from lakegate.cost.rate_card import RateCard


class _Missing:
    def __repr__(self) -> str:
        return "missing"


MISSING: Any = _Missing()  # an attribute the cluster spec does not set
KEYED_SECTIONS = ("spark_conf", "spark_env_vars", "custom_tags")
VIRTUAL_ATTRIBUTES = ("cluster_type", "dbus_per_hour")
RULE_PARAMETERS = {"fixed": ("value",), "forbidden": (), "allowlist": ("values",), "blocklist": ("values",),
                   "regex": ("pattern",), "range": ("minValue", "maxValue"), "unlimited": ()}
LIMITING = ("allowlist", "blocklist", "regex", "range", "unlimited")  # required unless isOptional
COMMON_FIELDS = ("type", "defaultValue", "hidden", "isOptional")


class ClusterPolicyError(ValueError):
    """A policy that cannot be read or fetched. Meant for the user as it is."""


class ClusterPolicyRefusal(ClusterPolicyError):
    """The cluster breaks its policy: raised before anything is submitted."""

    def __init__(self, policy_name: str, verdict: PolicyVerdict) -> None:
        super().__init__(verdict.refusal_message(policy_name))
        self.policy_name = policy_name
        self.verdict = verdict


@dataclass(frozen=True)
class PolicyRule:
    attribute: str
    type: str
    parameters: dict  # the rule's own fields: value, values, pattern, minValue, maxValue
    default: Any = MISSING
    hidden: bool = False
    optional: bool = False

    @property
    def path(self) -> tuple[str, ...]:
        """The keys from the cluster spec down to the value: a keyed section's rest is one key."""
        section, _, rest = self.attribute.partition(".")
        return (section, rest) if section in KEYED_SECTIONS and rest else tuple(self.attribute.split("."))

    def describe(self) -> str:
        shown = ", ".join(f"{name}={value!r}" for name, value in self.parameters.items())
        return f"{self.type}({shown})" if shown else self.type


@dataclass(frozen=True)
class Violation:
    attribute: str
    rule: PolicyRule
    value: Any
    reason: str

    def message(self) -> str:
        return f"{self.attribute} is {self.value!r}: {self.reason} (rule {self.rule.describe()})"


@dataclass(frozen=True)
class PolicyVerdict:
    effective_cluster: dict  # the spec with the policy's fixed (and asked-for default) values filled in
    violations: tuple[Violation, ...]

    @property
    def allowed(self) -> bool:
        return not self.violations

    def refusal_message(self, policy_name: str) -> str:
        return f"Cluster policy {policy_name!r} refuses the cluster: " + "; ".join(v.message() for v in self.violations)


def parse_policy(definition: dict | str) -> tuple[PolicyRule, ...]:
    """The rules of a definition, as a dict or the JSON string the SDK's Policy.definition holds."""
    try:
        raw = json.loads(definition) if isinstance(definition, str) else definition
    except json.JSONDecodeError as error:
        raise ClusterPolicyError(f"The policy definition is not JSON: {error}") from None
    return tuple(_rule(attribute, spec) for attribute, spec in raw.items())


def _rule(attribute: str, spec: dict) -> PolicyRule:
    kind = spec.get("type")
    if kind not in RULE_PARAMETERS:
        raise ClusterPolicyError(f"The policy rule for {attribute} has type {kind!r}; the types are {sorted(RULE_PARAMETERS)}.")
    unknown = sorted(set(spec) - set(COMMON_FIELDS) - set(RULE_PARAMETERS[kind]))
    if unknown:
        raise ClusterPolicyError(f"The {kind} rule for {attribute} has unknown fields {unknown}.")
    if kind == "regex":
        try:
            re.compile(spec.get("pattern", ""))
        except re.error as error:
            raise ClusterPolicyError(f"The regex rule for {attribute} has a bad pattern: {error}.") from None
    parameters = {name: spec[name] for name in RULE_PARAMETERS[kind] if name in spec}
    return PolicyRule(attribute, kind, parameters, default=spec.get("defaultValue", MISSING),
                      hidden=bool(spec.get("hidden")), optional=bool(spec.get("isOptional")))


def read_value(cluster: dict, path: tuple[str, ...]) -> Any:
    node: Any = cluster
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return MISSING
        node = node[key]
    return node


def _write_value(cluster: dict, path: tuple[str, ...], value: Any) -> None:
    *parents, leaf = path
    node = cluster
    for key in parents:
        node = node.setdefault(key, {})
    node[leaf] = value


def _reason(rule: PolicyRule, value: Any) -> str | None:
    """Why a value that is present breaks the rule, or None."""
    found = rule.parameters
    if rule.type == "fixed":
        return None if value == found["value"] else f"the value must be {found['value']!r}"
    if rule.type == "forbidden":
        return "the attribute is forbidden"
    if rule.type == "allowlist":
        return None if value in found["values"] else f"the value must be one of {found['values']!r}"
    if rule.type == "blocklist":
        return f"the value must not be one of {found['values']!r}" if value in found["values"] else None
    if rule.type == "regex":
        matched = isinstance(value, str) and re.fullmatch(found["pattern"], value)
        return None if matched else f"the whole value must match {found['pattern']!r}"
    if rule.type == "range":
        return _out_of_range(value, found.get("minValue"), found.get("maxValue"))
    return None  # unlimited


def _out_of_range(value: Any, low: float | None, high: float | None) -> str | None:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return "the value must be a number"
    if low is not None and value < low:
        return f"the value must be at least {low}"
    if high is not None and value > high:
        return f"the value must be at most {high}"
    return None


def _virtual_value(cluster: dict, attribute: str, rate_card: RateCard) -> Any:
    if attribute == "cluster_type":
        return "job"  # every runs/submit new_cluster is a job cluster
    return rate_card.cluster_dbus_per_hour(cluster)


def evaluate_policy(definition: dict | str, cluster_spec: dict, rate_card: RateCard) -> PolicyVerdict:
    """Every way the cluster spec breaks the policy, and the cluster the workspace would create."""
    rules = parse_policy(definition)
    cluster = copy.deepcopy(cluster_spec)  # filling in never touches the caller's spec
    apply_defaults = bool(cluster_spec.get("apply_policy_default_values"))
    for rule in rules:
        if rule.attribute in VIRTUAL_ATTRIBUTES or read_value(cluster, rule.path) is not MISSING:
            continue
        if rule.type == "fixed":
            _write_value(cluster, rule.path, rule.parameters["value"])
        elif apply_defaults and rule.default is not MISSING:
            _write_value(cluster, rule.path, rule.default)
    violations = []
    for rule in rules:  # after filling in: dbus_per_hour is the filled-in cluster's
        if rule.attribute in VIRTUAL_ATTRIBUTES:
            value = _virtual_value(cluster, rule.attribute, rate_card)
        else:
            value = read_value(cluster, rule.path)
        if value is MISSING:
            reason = "the attribute is required" if rule.type in LIMITING and not rule.optional else None
        else:
            reason = _reason(rule, value)
        if reason:
            violations.append(Violation(rule.attribute, rule, value, reason))
    return PolicyVerdict(cluster, tuple(violations))


def check_before_submit(workspace_client: WorkspaceClient, cluster_spec: dict, rate_card: RateCard) -> dict:
    """The effective cluster of a job cluster spec (`compute.ClusterSpec.as_dict()`) under the policy
    its `policy_id` names, fetched from the workspace; ClusterPolicyRefusal when the spec breaks it.
    A spec without a policy is returned as it is."""
    policy_id = cluster_spec.get("policy_id")
    if not policy_id:
        return dict(cluster_spec)
    try:
        policy = workspace_client.cluster_policies.get(policy_id=policy_id)
    except NotFound:
        raise ClusterPolicyError(f"The cluster names policy {policy_id}, which the workspace does not have.") from None
    verdict = evaluate_policy(policy.definition or "{}", cluster_spec, rate_card)
    if not verdict.allowed:
        raise ClusterPolicyRefusal(policy.name or policy_id, verdict)
    return verdict.effective_cluster
