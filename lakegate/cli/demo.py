"""`lakegate demo`: the whole chain on the embedded default, for every use case, as a newcomer first sees it.

1. generate synthetic data into landing (when it is empty);
2. build lakehouse, features, training sets and candidate models; the automated gates judge each
   and, when all pass, the candidate is copied to the test catalog;
3. the demo people sign (lakegate/cli/demo_people.py): a change ticket signed off by the change
   approver, and every role the signed governance policy requires for the use case, with Ed25519
   keys generated in the trust directory beside $LAKEGATE_HOME (never committed);
4. each release candidate's approval gate decides, and prod takes the version as champion;
5. the release manager signs each deployment; each champion goes to its endpoint (a canary against
   the incumbent when there is one) and a request is scored through `lakegate serve`;
6. the loop (lakegate/cli/demo_loop.py): shifted traffic and its outcomes, the monitor's verdicts,
   the alerts, and the rollback of a champion whose quality dropped.
"""

from __future__ import annotations

import datetime as dt
import inspect
import os

import typer

from lakegate.cli.data import with_parameters
from lakegate.cli.demo_release import release
from lakegate.cli.errors import UsageError
from lakegate.cli.materialize import console
from lakegate.environment import lakegate_home

DEMO_TRAINER = "ana.trainer"


def demo_command(**options) -> None:
    """The main job on the embedded default: data → lakehouse → features → models → gates → champions → serving."""
    from gates.demo_governance import init_demo_governance
    from lakegate.cli.data import check, sizes_of, write
    from lakehouse_assets.synthetic_data import SYNTHETIC_DATA
    from ml_assets import keys
    from ml_assets.usecases import USE_CASES

    loop = options["loop"]
    if loop not in ("yes", "no", "only"):
        raise UsageError(f"--loop must be yes, no or only, not {loop!r}")
    home = lakegate_home()
    os.environ.setdefault("LAKEGATE_PRINCIPAL", DEMO_TRAINER)  # who trains: never an approver
    from lakegate.cli.demo_loop import show_the_loop  # here: the serving side loads only when it is reached

    if loop == "only":
        if not show_the_loop(home, list(USE_CASES.values())):
            raise typer.Exit(1)
        return
    landing = home / "landing"
    for data in SYNTHETIC_DATA:
        check(data, sizes_of(data, options), landing, options["dirty"])
    governance = init_demo_governance(home)
    console.print(f"demo principals' keys, trusted keys and the ledger anchor: {governance.trust.keys_dir.parent} "
                  f"(outside {home}); policies signed by the demo governance owner")
    if landing.exists() and any(landing.rglob("*.csv*")):
        console.print(f"landing {landing} already has files: ingesting what is new")
    else:
        made = ", and ".join(data.what.format(**sizes_of(data, options)) for data in SYNTHETIC_DATA)
        console.print(f"[bold]generating[/] {made}, into {landing}")
        for data in SYNTHETIC_DATA:
            # Dated data ends today: the features' TTLs are days, so readings that ended weeks ago
            # would be stale for every request the demo serves.
            write(data, landing, sizes_of(data, options), options["seed"], options["dirty"], end=dt.date.today())

    use_cases = list(USE_CASES.values())
    later = keys.excluding(keys.PROMOTION, keys.DEPLOYMENT, keys.SCORING, keys.MONITORING)
    test_models = " or ".join(f"key:{keys.test_model_key(u).to_user_string()}" for u in use_cases)
    if not release(home, use_cases, f"({later}) or {test_models}"):
        return

    from lakegate.cli.demo_serving import deploy_and_serve

    if not deploy_and_serve(home, use_cases):
        console.print("[red]deployment did not complete[/]: the endpoints keep their previous versions")
        raise typer.Exit(1)
    if loop == "yes" and not show_the_loop(home, use_cases):
        raise typer.Exit(1)


def _demo_parameters() -> list[inspect.Parameter]:
    from lakegate.cli.data import size_parameters

    keyword = inspect.Parameter.KEYWORD_ONLY
    return [
        *size_parameters(" to generate when landing is empty"),
        inspect.Parameter("dirty", keyword, annotation=float, default=typer.Option(
            0.02, help="Share of malformed rows in the generated data.")),
        inspect.Parameter("seed", keyword, annotation=int, default=typer.Option(7, help="Random seed for the generated data.")),
        inspect.Parameter("loop", keyword, annotation=str, default=typer.Option(
            "yes", help="The closing monitoring loop: yes (after the rest), no, or only (on a home where the demo has run).")),
    ]


with_parameters(demo_command, _demo_parameters())
