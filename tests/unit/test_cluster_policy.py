"""Databricks' cluster-policy grammar in the product (lakegate/cost/cluster_policy.py): every rule
type, defaults, hidden and optional attributes, keyed paths, the virtual attributes and the refusal."""

import json

import pytest
from databricks.sdk.errors import NotFound
from databricks.sdk.service.compute import Policy

from lakegate.cost.cluster_policy import (MISSING, ClusterPolicyError, ClusterPolicyRefusal, check_before_submit,
                                          evaluate_policy, parse_policy)
from lakegate.cost.rate_card import RateCardError, load_rate_card

CARD = load_rate_card("databricks-aws-us-east-1-2026-12")
BASE = {"spark_version": "15.4.x-scala2.12", "node_type_id": "m5.large", "num_workers": 2}


def verdict(rule: dict, attribute: str, **cluster):
    """The rule alone against BASE with the given fields changed (None: the field left out)."""
    spec = {key: value for key, value in {**BASE, **cluster}.items() if value is not None}
    return evaluate_policy({attribute: rule}, spec, CARD)


def only_violation(rule: dict, attribute: str, **cluster):
    found = verdict(rule, attribute, **cluster).violations
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(("attribute", "rule", "good", "bad", "reason"), [
    ("spark_version", {"type": "fixed", "value": "15.4.x-scala2.12"}, "15.4.x-scala2.12", "13.3.x-scala2.12",
     "the value must be '15.4.x-scala2.12'"),
    ("node_type_id", {"type": "allowlist", "values": ["m5.large", "m5.xlarge"]}, "m5.xlarge", "i3.xlarge",
     "the value must be one of ['m5.large', 'm5.xlarge']"),
    ("node_type_id", {"type": "blocklist", "values": ["p4d.24xlarge"]}, "m5.large", "p4d.24xlarge",
     "the value must not be one of ['p4d.24xlarge']"),
    ("spark_version", {"type": "regex", "pattern": "1[45]\\.[0-9]+\\.x-scala2\\.12"}, "14.3.x-scala2.12",
     "15.4.x-scala2.12-photon", "the whole value must match"),
    ("num_workers", {"type": "range", "minValue": 1, "maxValue": 4}, 4, 5, "the value must be at most 4"),
    ("num_workers", {"type": "range", "minValue": 1, "maxValue": 4}, 1, 0, "the value must be at least 1"),
    ("instance_pool_id", {"type": "forbidden"}, None, "pool-1", "the attribute is forbidden"),
])
def test_each_rule_type_passes_a_good_value_and_refuses_a_bad_one_naming_attribute_rule_and_value(
        attribute, rule, good, bad, reason):
    if good is not None:
        assert verdict(rule, attribute, **{attribute: good}).allowed
    found = only_violation(rule, attribute, **{attribute: bad})
    assert found.attribute == attribute and found.value == bad and found.rule.type == rule["type"]
    message = found.message()
    assert message.startswith(f"{attribute} is {bad!r}: {reason}") and f"(rule {rule['type']}" in message


def test_unlimited_accepts_any_value_but_still_requires_the_attribute():
    assert verdict({"type": "unlimited"}, "custom_tags.cost_bucket", custom_tags={"cost_bucket": "anything at all"}).allowed
    assert only_violation({"type": "unlimited"}, "custom_tags.cost_bucket").reason == "the attribute is required"


@pytest.mark.parametrize("rule", [{"type": "allowlist", "values": ["SPOT"]}, {"type": "blocklist", "values": ["SPOT"]},
                                  {"type": "regex", "pattern": "ON_.*"}, {"type": "range", "maxValue": 1},
                                  {"type": "unlimited"}])
def test_a_limiting_rule_requires_its_attribute_unless_it_is_optional(rule):
    found = only_violation(rule, "aws_attributes.availability")
    assert found.value is MISSING and found.reason == "the attribute is required"
    assert "is missing: the attribute is required" in found.message()
    assert verdict({**rule, "isOptional": True}, "aws_attributes.availability").allowed


def test_forbidden_and_fixed_never_require_the_spec_to_set_the_attribute():
    assert verdict({"type": "forbidden"}, "init_scripts").allowed
    filled = verdict({"type": "fixed", "value": 20}, "autotermination_minutes")
    assert filled.allowed and filled.effective_cluster["autotermination_minutes"] == 20


def test_fixed_values_are_filled_in_always_defaults_only_when_the_spec_asks():
    definition = {"autotermination_minutes": {"type": "fixed", "value": 20},
                  "num_workers": {"type": "range", "maxValue": 8, "defaultValue": 3},
                  "custom_tags.team": {"type": "allowlist", "values": ["claims"], "defaultValue": "claims"}}
    spec = {"spark_version": "15.4.x-scala2.12", "node_type_id": "m5.large"}
    without = evaluate_policy(definition, spec, CARD)
    assert without.effective_cluster == {**spec, "autotermination_minutes": 20}
    assert [v.attribute for v in without.violations] == ["num_workers", "custom_tags.team"]
    asked = evaluate_policy(definition, {**spec, "apply_policy_default_values": True}, CARD)
    assert asked.allowed and asked.effective_cluster["num_workers"] == 3
    assert asked.effective_cluster["custom_tags"] == {"team": "claims"} and "custom_tags" not in spec


def test_a_value_the_spec_sets_is_checked_not_replaced_by_the_default():
    found = only_violation({"type": "range", "maxValue": 4, "defaultValue": 2}, "num_workers",
                           num_workers=9, apply_policy_default_values=True)
    assert (found.value, found.reason) == (9, "the value must be at most 4")


def test_a_default_outside_its_own_rule_is_refused_like_a_value_the_spec_set():
    found = only_violation({"type": "range", "maxValue": 4, "defaultValue": 6}, "autoscale.max_workers",
                           num_workers=None, apply_policy_default_values=True)
    assert (found.attribute, found.value) == ("autoscale.max_workers", 6)


def test_hidden_hides_only_in_the_ui_a_hidden_fixed_value_is_filled_and_enforced():
    rule = {"type": "fixed", "value": "PHOTON", "hidden": True}
    assert verdict(rule, "runtime_engine").effective_cluster["runtime_engine"] == "PHOTON"
    assert verdict(rule, "runtime_engine", runtime_engine="PHOTON").allowed
    found = only_violation(rule, "runtime_engine", runtime_engine="STANDARD")
    assert found.rule.hidden and found.value == "STANDARD"
    assert not verdict({"type": "forbidden", "hidden": True}, "instance_pool_id", instance_pool_id="p").allowed


def test_keyed_paths_take_the_rest_of_the_path_as_one_key_and_nested_paths_walk_the_spec():
    conf = "spark_conf.spark.databricks.cluster.profile"
    assert only_violation({"type": "forbidden"}, conf, spark_conf={"spark.databricks.cluster.profile": "singleNode"})
    assert verdict({"type": "forbidden"}, conf, spark_conf={"spark.databricks": "x"}).allowed
    env = verdict({"type": "fixed", "value": "1"}, "spark_env_vars.PYSPARK_PIN_THREAD")
    assert env.effective_cluster["spark_env_vars"] == {"PYSPARK_PIN_THREAD": "1"}
    nested = only_violation({"type": "range", "maxValue": 4}, "autoscale.max_workers",
                            autoscale={"min_workers": 1, "max_workers": 6})
    assert nested.value == 6


def test_cluster_type_is_job_for_every_submitted_cluster():
    assert verdict({"type": "fixed", "value": "job"}, "cluster_type").allowed
    assert verdict({"type": "allowlist", "values": ["job", "dlt"]}, "cluster_type").allowed
    found = only_violation({"type": "allowlist", "values": ["all-purpose"]}, "cluster_type")
    assert found.value == "job"
    assert "cluster_type" not in verdict({"type": "fixed", "value": "job"}, "cluster_type").effective_cluster


def test_dbus_per_hour_counts_the_driver_and_the_workers_an_autoscaling_cluster_at_max_workers():
    rule = {"type": "range", "maxValue": 3}
    # m5.large 0.34 DBU/h: driver + 2 workers = 1.02; i3.xlarge 1.0: driver + 2 = 3.0; driver m5.xlarge 0.69
    assert verdict(rule, "dbus_per_hour").allowed
    assert verdict(rule, "dbus_per_hour", node_type_id="i3.xlarge").allowed
    found = only_violation(rule, "dbus_per_hour", num_workers=None, autoscale={"min_workers": 1, "max_workers": 8})
    assert found.value == pytest.approx(0.34 * 9) and found.reason == "the value must be at most 3"
    mixed = only_violation({"type": "range", "maxValue": 1}, "dbus_per_hour", driver_node_type_id="m5.xlarge")
    assert mixed.value == pytest.approx(0.69 + 2 * 0.34)


def test_dbus_per_hour_prices_the_cluster_after_defaults_are_filled_in():
    definition = {"dbus_per_hour": {"type": "range", "maxValue": 2}, "num_workers": {"type": "unlimited", "defaultValue": 8}}
    spec = {"spark_version": "15.4.x-scala2.12", "node_type_id": "m5.large", "apply_policy_default_values": True}
    assert [v.value for v in evaluate_policy(definition, spec, CARD).violations] == [pytest.approx(0.34 * 9)]


def test_a_node_type_the_rate_card_lacks_is_an_error_naming_the_card():
    with pytest.raises(RateCardError, match="'x9.huge' is not on the rate card .*databricks-aws-us-east-1-2026-12.yaml"):
        verdict({"type": "range", "maxValue": 3}, "dbus_per_hour", node_type_id="x9.huge")


def test_every_violation_is_reported_and_the_callers_spec_is_left_alone():
    spec = {**BASE, "num_workers": 9, "instance_pool_id": "p"}
    found = evaluate_policy({"num_workers": {"type": "range", "maxValue": 4}, "instance_pool_id": {"type": "forbidden"},
                             "custom_tags.team": {"type": "fixed", "value": "claims"}}, spec, CARD)
    assert [v.attribute for v in found.violations] == ["num_workers", "instance_pool_id"]
    assert "custom_tags" not in spec and found.effective_cluster["custom_tags"] == {"team": "claims"}


def test_a_definition_reads_from_the_sdks_json_string_and_bad_ones_are_refused_clearly():
    assert parse_policy(json.dumps({"num_workers": {"type": "range", "maxValue": 4}}))[0].parameters == {"maxValue": 4}
    with pytest.raises(ClusterPolicyError, match="type 'dbus_cap'"):
        parse_policy({"x": {"type": "dbus_cap"}})
    with pytest.raises(ClusterPolicyError, match=r"unknown fields \['max'\]"):
        parse_policy({"num_workers": {"type": "range", "max": 4}})
    with pytest.raises(ClusterPolicyError, match="bad pattern"):
        parse_policy({"spark_version": {"type": "regex", "pattern": "15.(x"}})
    with pytest.raises(ClusterPolicyError, match="not JSON"):
        parse_policy("{not json")


class FakePolicies:
    """The one call check_before_submit makes, `cluster_policies.get(policy_id=...)`, answering as the SDK."""

    def __init__(self, policies: dict[str, dict]) -> None:
        self.policies = policies
        self.asked: list[str] = []

    def get(self, policy_id: str) -> Policy:
        self.asked.append(policy_id)
        if policy_id not in self.policies:
            raise NotFound(f"Policy {policy_id} does not exist.")
        return Policy(policy_id=policy_id, name="jobs", definition=json.dumps(self.policies[policy_id]))


class FakeWorkspace:
    def __init__(self, policies: dict[str, dict]) -> None:
        self.cluster_policies = FakePolicies(policies)


def test_check_before_submit_fetches_the_named_policy_and_returns_the_effective_cluster():
    workspace = FakeWorkspace({"P1": {"custom_tags.team": {"type": "fixed", "value": "claims"}}})
    effective = check_before_submit(workspace, {**BASE, "policy_id": "P1"}, CARD)
    assert effective["custom_tags"] == {"team": "claims"} and workspace.cluster_policies.asked == ["P1"]
    assert check_before_submit(workspace, BASE, CARD) == BASE and workspace.cluster_policies.asked == ["P1"]


def test_check_before_submit_refuses_with_a_message_naming_policy_attribute_rule_and_value():
    workspace = FakeWorkspace({"P1": {"num_workers": {"type": "range", "maxValue": 4}}})
    with pytest.raises(ClusterPolicyRefusal) as refused:
        check_before_submit(workspace, {**BASE, "num_workers": 16, "policy_id": "P1"}, CARD)
    assert isinstance(refused.value, ValueError) and refused.value.policy_name == "jobs"
    assert str(refused.value) == ("Cluster policy 'jobs' refuses the cluster: num_workers is 16: "
                                  "the value must be at most 4 (rule range(maxValue=4))")
    with pytest.raises(ClusterPolicyError, match="names policy P2, which the workspace does not have"):
        check_before_submit(workspace, {**BASE, "policy_id": "P2"}, CARD)
