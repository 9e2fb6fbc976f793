"""The product's policy engine (lakegate/cost/cluster_policy.py) and the emulator's enforcement agree.

Each case is created as a cluster policy in the emulator through the SDK, a run is submitted with the
case's cluster, and the product's verdict on the same definition and spec must match: refused there
exactly when the emulator answers 400, naming the same first attribute, and, when accepted, the
same effective cluster as the run records. Both must also give the outcome the case expects."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from databricks.sdk.errors import InvalidParameterValue
from databricks.sdk.service.compute import ClusterSpec
from databricks.sdk.service.jobs import SparkPythonTask, SubmitTask

from lakegate.cost.cluster_policy import evaluate_policy
from lakegate.cost.rate_card import load_rate_card
from tests.emulator.workloads import upload

pytestmark = pytest.mark.integration
CARD = load_rate_card("databricks-aws-us-east-1-2026-12")
BASE = {"spark_version": "15.4.x-scala2.12", "node_type_id": "m5.large", "num_workers": 2}


@dataclass(frozen=True)
class Case:
    name: str
    definition: dict
    cluster: dict  # changes to BASE; None leaves the field out
    refused: bool

    def spec(self) -> dict:
        return {key: value for key, value in {**BASE, **self.cluster}.items() if value is not None}


def rule(attribute: str, **spec) -> dict:
    return {attribute: spec}


CASES = [
    Case("fixed-same", rule("spark_version", type="fixed", value="15.4.x-scala2.12"), {}, False),
    Case("fixed-other", rule("spark_version", type="fixed", value="15.4.x-scala2.12"), {"spark_version": "13.3.x-scala2.12"}, True),
    Case("fixed-filled-keyed", rule("custom_tags.team", type="fixed", value="claims"), {}, False),
    Case("fixed-hidden-filled", rule("runtime_engine", type="fixed", value="PHOTON", hidden=True), {}, False),
    Case("fixed-hidden-other", rule("runtime_engine", type="fixed", value="PHOTON", hidden=True),
         {"runtime_engine": "STANDARD"}, True),
    Case("forbidden-absent", rule("instance_pool_id", type="forbidden", hidden=True), {}, False),
    Case("forbidden-present", rule("instance_pool_id", type="forbidden", hidden=True), {"instance_pool_id": "pool-1"}, True),
    Case("forbidden-spark-conf", rule("spark_conf.spark.databricks.cluster.profile", type="forbidden"),
         {"spark_conf": {"spark.databricks.cluster.profile": "singleNode"}}, True),
    Case("allowlist-in", rule("node_type_id", type="allowlist", values=["m5.large", "m5.xlarge"]), {}, False),
    Case("allowlist-out", rule("node_type_id", type="allowlist", values=["m5.xlarge"]), {}, True),
    Case("blocklist-listed", rule("aws_attributes.availability", type="blocklist", values=["SPOT"]),
         {"aws_attributes": {"availability": "SPOT"}}, True),
    Case("blocklist-unlisted", rule("aws_attributes.availability", type="blocklist", values=["SPOT"]),
         {"aws_attributes": {"availability": "ON_DEMAND"}}, False),
    Case("blocklist-missing-required", rule("aws_attributes.availability", type="blocklist", values=["SPOT"]), {}, True),
    Case("blocklist-missing-optional", rule("aws_attributes.availability", type="blocklist", values=["SPOT"],
                                            isOptional=True), {}, False),
    Case("regex-whole", rule("spark_version", type="regex", pattern="15\\.[0-9]+\\.x-scala2\\.12"), {}, False),
    Case("regex-prefix-only", rule("spark_version", type="regex", pattern="15\\.[0-9]+\\.x-scala2\\.12"),
         {"spark_version": "15.4.x-scala2.12-photon"}, True),
    Case("range-in", rule("num_workers", type="range", minValue=1, maxValue=4), {}, False),
    Case("range-above", rule("num_workers", type="range", minValue=1, maxValue=4), {"num_workers": 5}, True),
    Case("range-below", rule("num_workers", type="range", minValue=3, maxValue=4), {}, True),
    Case("range-nested", rule("autoscale.max_workers", type="range", maxValue=4),
         {"num_workers": None, "autoscale": {"min_workers": 1, "max_workers": 6}}, True),
    Case("range-default-asked", rule("num_workers", type="range", maxValue=4, defaultValue=3),
         {"num_workers": None, "apply_policy_default_values": True}, False),
    Case("range-default-not-asked", rule("num_workers", type="range", maxValue=4, defaultValue=3),
         {"num_workers": None}, True),
    Case("range-optional-missing", rule("autotermination_minutes", type="range", maxValue=60, isOptional=True), {}, False),
    Case("unlimited-missing", rule("custom_tags.cost_bucket", type="unlimited"), {}, True),
    Case("unlimited-present", rule("custom_tags.cost_bucket", type="unlimited"), {"custom_tags": {"cost_bucket": "x"}}, False),
    Case("unlimited-optional-default", rule("spark_env_vars.PYSPARK_PIN_THREAD", type="unlimited", isOptional=True,
                                            defaultValue="true"), {"apply_policy_default_values": True}, False),
    Case("cluster-type-job", rule("cluster_type", type="fixed", value="job"), {}, False),
    Case("cluster-type-all-purpose", rule("cluster_type", type="allowlist", values=["all-purpose"]), {}, True),
    Case("dbus-at-cap", rule("dbus_per_hour", type="range", maxValue=1.7), {"num_workers": 4}, False),
    Case("dbus-autoscale-max", rule("dbus_per_hour", type="range", maxValue=1.7),
         {"num_workers": None, "autoscale": {"min_workers": 1, "max_workers": 5}}, True),
    Case("dbus-driver-type", rule("dbus_per_hour", type="range", maxValue=1.2),
         {"driver_node_type_id": "i3.xlarge", "num_workers": 1}, True),
    Case("dbus-after-defaults", {"dbus_per_hour": {"type": "range", "maxValue": 2},
                                 "num_workers": {"type": "range", "maxValue": 10, "defaultValue": 8}},
         {"num_workers": None, "apply_policy_default_values": True}, True),
]


@pytest.fixture(scope="module")
def script(workspace) -> str:
    return upload(workspace, "/jobs/policy_agreement.py", b'print("agreed")\n')


def submit(workspace, script: str, spec: dict) -> dict | str:
    """The cluster the emulator's run records, or its refusal's message."""
    task = SubmitTask(task_key="main", new_cluster=ClusterSpec.from_dict(spec),
                      spark_python_task=SparkPythonTask(python_file=script))
    try:
        run_id = workspace.jobs.submit(run_name="policy agreement", tasks=[task]).run_id
    except InvalidParameterValue as refused:
        return str(refused)
    return workspace.jobs.get_run(run_id).tasks[0].new_cluster.as_dict()


def test_the_cases_cover_every_rule_type_and_both_virtual_attributes():
    types = {spec["type"] for case in CASES for spec in case.definition.values()}
    attributes = {attribute for case in CASES for attribute in case.definition}
    assert types == {"fixed", "forbidden", "allowlist", "blocklist", "regex", "range", "unlimited"}
    assert {"cluster_type", "dbus_per_hour"} <= attributes


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_the_product_engine_and_the_emulator_agree(workspace, script, case):
    policy_id = workspace.cluster_policies.create(name=f"agreement-{case.name}",
                                                  definition=json.dumps(case.definition)).policy_id
    spec = {**case.spec(), "policy_id": policy_id}
    verdict = evaluate_policy(workspace.cluster_policies.get(policy_id=policy_id).definition, spec, CARD)
    emulator = submit(workspace, script, spec)
    assert (not verdict.allowed, isinstance(emulator, str)) == (case.refused, case.refused), (verdict, emulator)
    if case.refused:
        assert "Cluster validation error: Validation failed for " + verdict.violations[0].attribute + "," in emulator
    else:
        assert emulator == ClusterSpec.from_dict(verdict.effective_cluster).as_dict()


def test_every_node_type_the_workspace_lists_is_on_the_rate_card(workspace):
    listed = {node.node_type_id for node in workspace.clusters.list_node_types().node_types}
    assert {"m5.large", "m5.xlarge", "i3.xlarge"} <= listed
    assert listed <= set(CARD.node_types)
