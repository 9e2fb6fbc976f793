"""`lakegate approve` against a real MLflow registry: signed approvals bound to one version, its
artifact and its recorded trainer, and the approval gate over what the CLI recorded, on the state
as it is when the gate is asked."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from gates.approvals import evaluate_approval_gate, evaluate_version_approvals
from gates.demo_governance import GOVERNANCE_OWNER_ID, init_demo_governance
from lakegate.artifact import model_artifact_hash
from lakegate.governance.approvals import load_approvals
from lakegate.governance.context import Governance
from lakegate.governance.trainers import record_training, trainer_of
from lakegate.policy_signatures import sign_policy
from lakegate.registry import Registry, Tags
from lakegate.signing import load_private_key
from tests.cli import invoke_cli, run_in_process

pytestmark = pytest.mark.integration

MODEL = "test.claims.triage_model"
CLEARED = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI", "LAKEGATE_GOVERNANCE_POLICY", "LAKEGATE_CHANGE_REGISTER",
           "LAKEGATE_APPROVER_KEY_FILE", "LAKEGATE_APPROVER_KEY_PASSPHRASE", "LAKEGATE_PRINCIPAL")


def register_version(registry: Registry, seed: int, home: Path) -> str:
    """A tiny sklearn model, logged by ana.trainer, registered under MODEL, its training in the ledger."""
    import mlflow
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(seed)
    x = rng.normal(size=(60, 3))
    y = (x[:, 0] + rng.normal(scale=0.5, size=60) > 0).astype(int)
    experiment = registry.experiment_id("/Shared/lakegate/approvals_test")
    with registry.activate(), mlflow.start_run(experiment_id=experiment, tags={Tags.PRINCIPAL: "ana.trainer"}):
        logged = mlflow.sklearn.log_model(LogisticRegression().fit(x, y), name="model",
                                          serialization_format=mlflow.sklearn.SERIALIZATION_FORMAT_CLOUDPICKLE)
    number = str(registry.register(logged.model_uri, MODEL).version)
    record_training(Governance.for_home(home).ledger, MODEL, number, model_artifact_hash(registry, MODEL, number),
                    "ana.trainer", "run", {"table": "dev.ml.none", "version": 0})
    return number


def governance_owner_signs(demo, path: Path) -> None:
    """The fixture plays the governance owner: it signs the policy it changed."""
    owner = load_private_key(demo.trust.keys_dir / f"{GOVERNANCE_OWNER_ID}.pem")
    home = Path(os.environ["LAKEGATE_HOME"])
    sign_policy(path.read_bytes(), path.name, owner, GOVERNANCE_OWNER_ID, home, Governance.for_home(home).ledger)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    home = tmp_path_factory.mktemp("approvals")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LAKEGATE_HOME", str(home))
        mp.setenv("LAKEGATE_ENV", "local")
        for name in CLEARED:
            mp.delenv(name, raising=False)
        demo = init_demo_governance(home)
        # Give the trainer a required role and the change-approver role too: the gate, not the role
        # list, must stop her.
        policy = yaml.safe_load(demo.policy_path.read_text())
        next(p for p in policy["principals"] if p["id"] == "ana.trainer")["roles"] += ["model_risk", "change_approver"]
        demo.policy_path.write_text(yaml.safe_dump(policy, sort_keys=False))
        governance_owner_signs(demo, demo.policy_path)
        registry = Registry.from_env()
        versions = [register_version(registry, seed, home) for seed in (1, 2)]
        env = dict(os.environ)
        for number in versions:
            lakegate(env, "change", "create", MODEL, number, "--summary", f"Promote claims triage v{number} to prod")
            lakegate(env, "change", "approve", f"CHG-000{number}", "--as", "cab.chair")
        yield {"home": home, "registry": registry, "env": env, "versions": versions, "demo": demo,
               "governance": Governance.for_home(home)}


def lakegate(env: dict, *args: str, expect: int = 0, **extra_env: str) -> subprocess.CompletedProcess:
    """`lakegate ARGS` with the fixture's environment, in this process (as a subprocess would run it)."""
    done = run_in_process({**env, **extra_env}, *args)
    assert done.returncode == expect, (done.stdout, done.stderr[-3000:])
    return done


def test_the_fixture_registered_two_versions_by_the_trainer(world):
    registry = world["registry"]
    assert world["versions"] == ["1", "2"]
    assert trainer_of(world["governance"].ledger, model_artifact_hash(registry, MODEL, 1)) == "ana.trainer"
    assert model_artifact_hash(registry, MODEL, 1) == model_artifact_hash(registry, MODEL, "1")  # deterministic
    assert model_artifact_hash(registry, MODEL, 1) != model_artifact_hash(registry, MODEL, 2)


def test_two_roles_approve_through_the_cli_and_the_gate_passes(world):
    env = world["env"]
    done = lakegate(env, "approve", MODEL, "1", "--role", "model_risk", "--ticket", "CHG-0001", "--as", "mo.risk")
    line = done.stdout.strip()
    assert len(line.splitlines()) == 1
    assert line.startswith(f"approved {MODEL} v1 (trained by ana.trainer) for promotion as model_risk by mo.risk under "
                           "CHG-0001, artifact sha256 ")
    key = str(world["demo"].keys["cy.compliance"])
    lakegate(env, "approve", MODEL, "1", "--role", "compliance", "--ticket", "CHG-0001", "--key", key,
             LAKEGATE_PRINCIPAL="cy.compliance")

    stored = load_approvals(MODEL, 1, world["home"])
    assert {(a.principal, a.role, a.trained_by) for a in stored} == {("mo.risk", "model_risk", "ana.trainer"),
                                                                      ("cy.compliance", "compliance", "ana.trainer")}
    assert all(a.artifact_hash == model_artifact_hash(world["registry"], MODEL, 1) for a in stored)
    verdict = gate(world, 1)
    assert verdict.passed, verdict.reason
    assert verdict.measured["approved_roles"] == {"model_risk": ["mo.risk"], "compliance": ["cy.compliance"]}
    assert verdict.measured["trained_by"] == "ana.trainer" and verdict.policy_version == "demo-3"
    assert len(verdict.policy_sha256) == 64


def gate(world, version, purpose="promotion", target_env="prod", endpoint=None):
    return evaluate_version_approvals(world["registry"], world["governance"], MODEL, version, target_env, purpose,
                                      endpoint=endpoint)


def test_the_gate_fails_closed_when_it_cannot_be_evaluated(world, monkeypatch, tmp_path):
    monkeypatch.setenv("LAKEGATE_GOVERNANCE_POLICY", str(tmp_path / "missing.yaml"))
    verdict = gate(world, 1)
    assert not verdict.passed and verdict.measured["failed_checks"] == ["not_evaluable"]
    assert "no governance policy at" in verdict.reason
    monkeypatch.delenv("LAKEGATE_GOVERNANCE_POLICY")
    unknown = gate(world, 7)
    assert not unknown.passed and "has no version 7" in unknown.reason


def test_approving_version_1_does_not_unlock_version_2(world):
    registry = world["registry"]
    verdict = gate(world, 2)
    assert not verdict.passed and "no promotion approval is recorded" in verdict.reason
    # Version 1's approvals presented for version 2: bound to another version and another artifact.
    policy, _ = world["governance"].policy()
    reused = evaluate_approval_gate(MODEL, 2, model_artifact_hash(registry, MODEL, 2), "ana.trainer", "prod", "promotion",
                                    load_approvals(MODEL, 1, world["home"]), policy, world["governance"].register())
    assert not reused.passed
    assert {"wrong_version", "artifact_changed", "missing_role"} <= set(reused.measured["failed_checks"])
    assert "is for version 1, not 2" in reused.reason


def test_the_trainers_approval_is_refused_by_the_gate(world):
    env = world["env"]
    lakegate(env, "approve", MODEL, "2", "--role", "model_risk", "--ticket", "CHG-0002", "--as", "ana.trainer")
    lakegate(env, "approve", MODEL, "2", "--role", "compliance", "--ticket", "CHG-0002", "--as", "cy.compliance")
    verdict = gate(world, 2)
    assert not verdict.passed
    assert "ana.trainer trained this version and may not approve it" in verdict.reason
    assert "self_approval" in verdict.measured["failed_checks"] and "missing_role" in verdict.measured["failed_checks"]
    # version 1 is untouched
    assert gate(world, 1).passed


def test_a_rewritten_trainer_tag_does_not_change_who_trained_it(world):
    # Anyone with registry write access can rewrite tags; the gate reads the ledger's training record.
    registry = world["registry"]
    run_id = registry.model_version(MODEL, 2).run_id
    registry.client.set_model_version_tag(MODEL, "2", Tags.PRINCIPAL, "someone.else")
    registry.client.set_tag(run_id, Tags.PRINCIPAL, "someone.else")
    verdict = gate(world, 2)
    assert verdict.measured["trained_by"] == "ana.trainer"
    assert "ana.trainer trained this version and may not approve it" in verdict.reason


def test_a_ticket_approved_by_the_trainer_authorises_nothing(world):
    env = world["env"]
    number = register_version(world["registry"], 4, world["home"])
    lakegate(env, "change", "create", MODEL, number, "--summary", "self-approved", "--id", "CHG-SELF")
    lakegate(env, "change", "approve", "CHG-SELF", "--as", "ana.trainer")  # she holds the role, and signs
    for who, role in (("mo.risk", "model_risk"), ("cy.compliance", "compliance")):
        lakegate(env, "approve", MODEL, number, "--role", role, "--ticket", "CHG-SELF", "--as", who)
    verdict = gate(world, number)
    assert not verdict.passed and "change ticket CHG-SELF was approved by ana.trainer, who trained this version" in verdict.reason
    # The register's approver is a signature: editing the name to someone else's voids it.
    register = world["home"] / "governance" / "change_register.yaml"
    register.write_text(register.read_text().replace("approved_by: ana.trainer", "approved_by: cab.chair"))
    verdict = gate(world, number)
    assert not verdict.passed and "its approval is not signed by cab.chair's key" in verdict.reason


def test_an_edited_policy_fails_closed_until_the_governance_owner_signs_it(world):
    path = world["demo"].policy_path
    original = path.read_text()
    try:
        policy = yaml.safe_load(original)
        policy["principals"] += [{**policy["principals"][1], "id": "mallory.one", "identities": []},
                                 {**policy["principals"][2], "id": "mallory.two", "identities": []}]
        path.write_text(yaml.safe_dump(policy, sort_keys=False))
        verdict = gate(world, 1)
        assert not verdict.passed and "is not signed by a governance owner" in verdict.reason
    finally:
        path.write_text(original)
    assert gate(world, 1).passed


def test_a_changed_artifact_voids_the_approvals(world):
    registry, env = world["registry"], world["env"]
    number = register_version(registry, 3, world["home"])
    registry.set_alias(MODEL, "challenger", number)  # approving by alias signs the version number
    lakegate(env, "change", "create", MODEL, number, "--summary", "v3", "--id", "CHG-V3")
    lakegate(env, "change", "approve", "CHG-V3", "--as", "cab.chair")
    for who, role in (("mo.risk", "model_risk"), ("cy.compliance", "compliance")):
        lakegate(env, "approve", MODEL, "challenger", "--role", role, "--ticket", "CHG-V3", "--as", who)
    assert {a.version for a in load_approvals(MODEL, number, world["home"])} == {number}
    assert gate(world, number).passed
    stored = Path(registry.client.get_model_version_download_uri(MODEL, number).removeprefix("file://"))
    with (stored / "model.pkl").open("ab") as handle:
        handle.write(b"\0")
    verdict = gate(world, number)
    assert not verdict.passed and "artifact_changed" in verdict.measured["failed_checks"]
    assert "the artifact changed, so the approval is void" in verdict.reason


def run_cli(capsys, monkeypatch, world, *args, **env):
    monkeypatch.setenv("LAKEGATE_HOME", str(world["home"]))
    for name in CLEARED:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return invoke_cli(capsys, monkeypatch, *args)


@pytest.mark.parametrize("args,env,message", [
    ((MODEL, "9", "--role", "model_risk", "--ticket", "CHG-0001", "--as", "mo.risk"), {}, "has no version 9 (versions: 1, 2"),
    (("test.claims.nope", "1", "--role", "model_risk", "--ticket", "CHG-0001", "--as", "mo.risk"), {}, "is not registered"),
    ((MODEL, "1", "--role", "compliance", "--ticket", "CHG-0001", "--as", "mo.risk"), {},
     "mo.risk does not hold the role compliance in the governance policy (roles held: model_risk)"),
    ((MODEL, "1", "--role", "model_risk", "--ticket", "CHG-0001", "--as", "nobody"), {}, "nobody is not a principal"),
    ((MODEL, "1", "--role", "model_risk", "--ticket", "CHG-0001"), {}, "give --as PRINCIPAL or set LAKEGATE_PRINCIPAL"),
    ((MODEL, "1", "--role", "model_risk", "--ticket", "CHG-0001", "--as", "mo.risk", "--key", "/nonexistent/k.pem"), {},
     "no private key for mo.risk at /nonexistent/k.pem"),
    ((MODEL, "1", "--role", "model_risk", "--ticket", "CHG-0001", "--as", "mo.risk"), {"LAKEGATE_APPROVER_KEY_FILE": "CY"},
     "is not mo.risk's: it does not match their public key"),
    ((MODEL, "1", "--role", "model_risk", "--ticket", "CHG-9999", "--as", "mo.risk"), {}, "change ticket CHG-9999 is not in the change register"),
    ((MODEL, "2", "--role", "model_risk", "--ticket", "CHG-0001", "--as", "mo.risk"), {},
     f"change ticket CHG-0001 names {MODEL} v1, not {MODEL} v2"),
    ((MODEL, "1", "--role", "model_risk", "--ticket", "CHG-0001", "--as", "mo.risk", "--purpose", "retire"), {},
     "--purpose 'retire' must be one of promotion, deployment"),
    ((MODEL, "1", "--role", "release_manager", "--ticket", "CHG-0001", "--as", "rel.manager", "--purpose", "deployment"), {},
     "a deployment approval names its serving endpoint: give --endpoint NAME"),
])
def test_bad_input_exits_2_with_one_clear_line(world, capsys, monkeypatch, args, env, message):
    env = {k: str(world["demo"].keys["cy.compliance"]) if v == "CY" else v for k, v in env.items()}
    before = sorted((world["home"] / "governance" / "approvals").rglob("*.json"))
    code, _, err = run_cli(capsys, monkeypatch, world, "approve", *args, **env)
    assert code == 2, err
    assert message in err and "Traceback" not in err
    assert sorted((world["home"] / "governance" / "approvals").rglob("*.json")) == before  # nothing recorded


def test_change_show_lists_the_register(world, capsys, monkeypatch):
    code, out, _ = run_cli(capsys, monkeypatch, world, "change", "show", "CHG-0001", "--json")
    assert code in (0, None) and '"status": "approved"' in out and '"approved_by": "cab.chair"' in out
    code, _, err = run_cli(capsys, monkeypatch, world, "change", "approve", "CHG-0001", "--as", "cab.chair")
    assert code == 2 and "is approved; only a draft can be approved" in err
    code, _, err = run_cli(capsys, monkeypatch, world, "change", "approve", "CHG-0001", "--as", "mo.risk")
    assert code == 2 and "mo.risk does not hold the role change_approver" in err


def test_without_a_policy_approving_is_refused(world, capsys, monkeypatch, tmp_path):
    code, _, err = run_cli(capsys, monkeypatch, world, "approve", MODEL, "1", "--role", "model_risk", "--ticket", "CHG-0001",
                           "--as", "mo.risk", LAKEGATE_GOVERNANCE_POLICY=str(tmp_path / "none.yaml"))
    assert code == 2 and f"no governance policy at {tmp_path / 'none.yaml'}" in err
