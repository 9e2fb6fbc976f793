"""A snapshot of every asset spec of the graph, both use cases included: key, group, kinds, owners,
deps and tags, and each check with its blocking flag and declared severity. A change to the graph's
shape shows here as a diff to review; regenerate deliberately with LAKEGATE_UPDATE_SNAPSHOTS=1."""

import json
import os
from pathlib import Path

SNAPSHOT = Path(__file__).parent / "snapshots" / "asset_specs.json"


def graph_specs() -> dict:
    from lakegate.definitions import defs

    graph = defs.resolve_asset_graph()
    specs = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        specs[key.to_user_string()] = {
            "group": node.group_name,
            "kinds": sorted(node.kinds),
            "owners": sorted(node.owners),
            "deps": sorted(k.to_user_string() for k in node.parent_keys),
            "tags": {k: v for k, v in sorted(node.tags.items()) if not k.startswith("dagster/kind/")},
            "checks": {},
        }
    for check_key in graph.asset_check_keys:
        spec = graph.get_check_spec(check_key)
        specs[check_key.asset_key.to_user_string()]["checks"][check_key.name] = {
            "blocking": spec.blocking, "severity": (spec.metadata or {}).get("lakegate/severity")}
    for spec in specs.values():
        spec["checks"] = dict(sorted(spec["checks"].items()))
    return specs


def test_every_asset_spec_matches_the_snapshot():
    now = graph_specs()
    if os.environ.get("LAKEGATE_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(json.dumps(now, indent=1, sort_keys=True) + "\n")
    assert now == json.loads(SNAPSHOT.read_text())


def test_every_use_case_has_the_same_gated_pipeline():
    from ml_assets import keys
    from ml_assets.usecases import USE_CASES

    specs = graph_specs()
    for use_case in USE_CASES.values():
        gates = specs[keys.model_key(use_case).to_user_string()]["checks"]
        assert set(gates) == {"quality", "performance", "bias", "stability", "calibration", "skew", "unit_tests"}
        assert all(c == {"blocking": True, "severity": "ERROR"} for c in gates.values())
        release = specs[keys.release_candidate_key(use_case).to_user_string()]
        assert release["checks"] == {"approvals": {"blocking": True, "severity": "ERROR"}}
        request = specs[keys.deployment_request_key(use_case).to_user_string()]
        assert request["checks"] == {"deployment_approvals": {"blocking": True, "severity": "ERROR"}}
        deployment = specs[keys.deployment_key(use_case).to_user_string()]
        assert deployment["deps"] == [keys.deployment_request_key(use_case).to_user_string()]
        assert {specs[k]["group"] for k in specs if k.startswith(f"ml/{use_case.name}_")} == {keys.group(use_case)}
