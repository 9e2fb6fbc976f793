"""Cluster-policy rules as plain functions: which specs pass, what gets filled in, what the refusal names."""

import pytest

from databricks_emulator.errors import ApiError
from databricks_emulator.policy_rules import enforce, parse_rules

DEFINITION = {
    "spark_version": {"type": "fixed", "value": "15.4.x-scala2.12"},
    "autoscale.max_workers": {"type": "range", "maxValue": 8, "defaultValue": 4},
    "node_type_id": {"type": "allowlist", "values": ["m5.large"], "isOptional": True},
    "spark_conf.spark.databricks.cluster.profile": {"type": "forbidden"},
    "aws_attributes.availability": {"type": "blocklist", "values": ["SPOT"], "isOptional": True},
    "cluster_type": {"type": "fixed", "value": "job"},
}


def check(cluster: dict, apply_defaults: bool = False) -> dict:
    return enforce(parse_rules(DEFINITION), cluster, apply_defaults)


def test_a_compliant_spec_gets_fixed_values_and_asked_for_defaults():
    result = check({"autoscale": {"min_workers": 1}}, apply_defaults=True)
    assert result["spark_version"] == "15.4.x-scala2.12" and result["autoscale"] == {"min_workers": 1, "max_workers": 4}


def test_without_apply_policy_default_values_a_required_range_attribute_must_be_present():
    with pytest.raises(ApiError, match="autoscale.max_workers, the value must be present"):
        check({})


@pytest.mark.parametrize(("cluster", "attribute"), [
    ({"spark_version": "13.3.x", "autoscale": {"max_workers": 2}}, "spark_version"),
    ({"autoscale": {"max_workers": 9}}, "autoscale.max_workers"),
    ({"autoscale": {"max_workers": 2}, "node_type_id": "p4d.24xlarge"}, "node_type_id"),
    ({"autoscale": {"max_workers": 2}, "spark_conf": {"spark.databricks.cluster.profile": "singleNode"}},
     "spark_conf.spark.databricks.cluster.profile"),
    ({"autoscale": {"max_workers": 2}, "aws_attributes": {"availability": "SPOT"}}, "aws_attributes.availability"),
])
def test_each_rule_type_refuses_with_invalid_parameter_value_naming_the_attribute(cluster, attribute):
    with pytest.raises(ApiError) as refused:
        check(cluster)
    assert refused.value.status == 400 and refused.value.error_code == "INVALID_PARAMETER_VALUE"
    assert f"Validation failed for {attribute}," in refused.value.message


def test_an_unknown_rule_type_is_refused_when_the_policy_is_read():
    with pytest.raises(ApiError, match="'dbus_per_hour_cap'"):
        parse_rules({"x": {"type": "dbus_per_hour_cap"}})


def refusal(definition: dict, cluster: dict) -> str | None:
    try:
        enforce(parse_rules(definition), cluster, bool(cluster.get("apply_policy_default_values")))
    except ApiError as refused:
        return refused.message
    return None


def test_a_regex_must_match_the_whole_value():
    rule = {"spark_version": {"type": "regex", "pattern": "15\\.[0-9]+\\.x-scala2\\.12"}}
    assert refusal(rule, {"spark_version": "15.4.x-scala2.12"}) is None
    assert "must match the regex" in refusal(rule, {"spark_version": "15.4.x-scala2.12-photon"})
    with pytest.raises(ApiError, match="invalid regex"):
        parse_rules({"spark_version": {"type": "regex", "pattern": "15.(x"}})


def test_dbus_per_hour_is_driver_plus_workers_from_the_node_type_table_autoscale_at_max_workers():
    cap = {"dbus_per_hour": {"type": "range", "maxValue": 1.7}}
    assert refusal(cap, {"node_type_id": "m5.large", "num_workers": 4}) is None  # 5 x 0.34, exactly at the cap
    assert "dbus_per_hour, the value must be at most 1.7 (is 2.04)" in refusal(
        cap, {"node_type_id": "m5.large", "autoscale": {"min_workers": 1, "max_workers": 5}})
    assert "Node type x9.huge is not supported" in refusal(cap, {"node_type_id": "x9.huge", "num_workers": 1})


def test_limiting_rules_require_their_attribute_unless_optional_hidden_changes_nothing():
    for rule in ({"type": "blocklist", "values": ["SPOT"]}, {"type": "unlimited"}):
        assert "the value must be present" in refusal({"custom_tags.cost_bucket": rule}, {})
        assert refusal({"custom_tags.cost_bucket": {**rule, "isOptional": True}}, {}) is None
    hidden = {"runtime_engine": {"type": "fixed", "value": "PHOTON", "hidden": True}}
    assert refusal(hidden, {}) is None and "must be 'PHOTON'" in refusal(hidden, {"runtime_engine": "STANDARD"})
