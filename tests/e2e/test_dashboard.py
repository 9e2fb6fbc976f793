"""The dashboard in a real browser (Debian's chromium through Selenium and chromedriver) on the demo's
data after its monitoring loop: every page loads with no console error, every chart has drawn marks,
the numbers shown are the metric tables' (read here straight from Delta), the token is required,
and the model page's snapshot in the evidence bundle renders from a file with no network."""

import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path
from urllib.parse import urlencode

import pytest
import yaml
from deltalake import DeltaTable
from selenium.webdriver.support.wait import WebDriverWait

from gates.policy import policies_dir
from lakegate.serving.control import LocalEndpoints
from lakegate.trust import trust_dir
from tests.browser import chromium, console_errors, figures, rendered
from tests.e2e.conftest import ARTIFACTS as E2E_ARTIFACTS
from tests.e2e.conftest import LAKEGATE, cli_in_process, demo_env

pytestmark = pytest.mark.e2e
ARTIFACTS = E2E_ARTIFACTS / "dashboard"
ENDPOINT, USE_CASE, MODEL = "claims-triage", "claims_triage", "prod.claims.triage_model"
POLICY = policies_dir(USE_CASE) / "monitoring.local.yaml"
QUALITY = ("precision", "recall", "false_positive_rate", "false_negative_rate", "label_coverage")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _status(url: str, headers: dict | None = None) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=30) as answer:
            return answer.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.fixture(scope="module")
def served(looped):
    """`lakegate dashboard` on the looped demo home, stopped (by its pid) when the module is done."""
    home, result = looped
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    port = _free_port()
    env = {k: v for k, v in {**os.environ, **demo_env(home)}.items() if v is not None}
    process = subprocess.Popen([LAKEGATE, "dashboard", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if _status(url + "/") == 401:
                break
        except OSError:
            time.sleep(0.5)
    assert process.poll() is None, process.stdout.read()[-3000:]
    token = (home / "secrets" / "dashboard_read.token").read_text().strip()
    yield home, url, token
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture(scope="module")
def browser():
    driver = chromium()
    yield driver
    driver.quit()


def load(driver, url: str, shot: str) -> dict:
    """Load a page, wait for its charts, save a full-page screenshot; its marks, errors and figures."""
    console_errors(driver)  # drain what earlier pages logged: the log is read since the last read
    driver.get(url)
    drawn = rendered(driver)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver.set_window_size(1280, driver.execute_script("return document.body.scrollHeight") + 40)
    driver.save_screenshot(str(ARTIFACTS / f"{shot}.png"))
    return {**drawn, "console": console_errors(driver), "figures": figures(driver)}


def assert_drawn(page: dict, at_least: int):
    assert page["console"] == [] and page["errors"] == [], page
    assert len(page["marks"]) == page["slots"] >= at_least, page
    assert all(count > 0 for count in page["marks"].values()), page["marks"]
    assert set(page["unpainted"].values()) == {0}, page["unpainted"]  # every item drawn in a colour


def _latest(path: Path, where) -> list[dict]:
    return [r for r in DeltaTable(str(path)).to_pyarrow_table().to_pylist() if where(r)]


def test_a_request_without_the_token_is_refused(served, browser):
    _, url, token = served
    assert _status(url + "/") == 401 and _status(url + f"/model/{USE_CASE}") == 401
    assert _status(url + "/static/vega.min.js") == 401
    assert _status(url + "/?token=not-the-dashboard-token") == 403
    assert _status(url + "/", {"Authorization": f"Bearer {token}"}) == 200
    browser.get(url + f"/model/{USE_CASE}")  # a fresh profile: no cookie yet
    assert "needs its read-only token" in browser.find_element("tag name", "body").text


def test_every_page_loads_with_drawn_charts_and_no_console_error(served, browser):
    _, url, token = served
    overview = load(browser, f"{url}/?token={token}", "overview")
    assert browser.current_url == url + "/", "the token is dropped from the address once it is a cookie"
    assert overview["console"] == [] and overview["figures"][f"overview.{USE_CASE}.rows"]
    model = load(browser, f"{url}/model/{USE_CASE}", "model-claims-triage")
    assert_drawn(model, at_least=5)  # quality, latency, errors, drift, timeline
    assert set(model["marks"]) == {"quality", "latency", "errors", "drift", "timeline"}
    assert "Month to date" in browser.find_element("id", "panel-cost").text  # the Cost panel reads dev.monitoring.cost
    for panel in ("status", "quality", "sla", "drift", "alerts", "pipeline", "delivery"):
        said = browser.find_element("css selector", f"#panel-{panel} .as-of").text
        assert "as of" in said and ("Delta version" in said or "ledger record" in said), (panel, said)
    browser.find_elements("css selector", "#chart-drift svg .mark-rect path")[0].click()  # a heatmap cell
    WebDriverWait(browser, 30).until(lambda b: "/feature?" in b.current_url)
    feature = load(browser, browser.current_url, "feature-distribution")
    assert_drawn(feature, at_least=1)
    assert "reference against current" in browser.find_element("id", "panel-distribution").text
    daily = load(browser, f"{url}/model/{USE_CASE}?granularity=1+day&version=all", "model-claims-triage-daily")
    assert_drawn(daily, at_least=4)
    machines = load(browser, f"{url}/model/machine_failure", "model-machine-failure")  # served, never monitored
    assert machines["console"] == [] and machines["errors"] == []


def test_the_numbers_shown_are_the_metric_tables(served, browser):
    home, url, token = served
    browser.get(f"{url}/?token={token}")
    page = load(browser, f"{url}/model/{USE_CASE}", "model-claims-triage")
    granularity = yaml.safe_load(POLICY.read_text())["judged_granularity"]
    assert browser.find_element("css selector", "select[name=granularity] option[selected]").text == granularity
    endpoint = LocalEndpoints(home).get(ENDPOINT)
    served_version = endpoint.config.entity(endpoint.config.full_share_entity()).entity_version
    lake = home / "lake" / "dev" / "monitoring"
    windows = sorted(_latest(lake / "claims_triage_profile_metrics", lambda r: (
        r["granularity"] == granularity and r["model_id"] == served_version and r["slice_key"] is None
        and r["column_name"] == ":table")), key=lambda r: r["window"]["start"])
    last = windows[-1]
    shown = page["figures"]
    for name in QUALITY:
        assert (float(shown[f"quality.{name}"]) if shown[f"quality.{name}"] else None) == last[name], name
    assert float(shown["quality.count"]) == last["count"]
    for name in ("latency_p50_ms", "latency_p99_ms", "error_rate", "request_count"):
        assert float(shown[f"sla.{name}"]) == last[name], name
    drawn = browser.execute_script("return window.lakegateViews.quality.data('quality')")
    expected = {(r["window"]["start"].isoformat(), m): r[m] for r in windows for m in QUALITY[:4] if r[m] is not None}
    assert {(d["start"], d["metric"]): d["value"] for d in drawn} == expected
    drift = _latest(lake / "claims_triage_drift_metrics", lambda r: (
        r["granularity"] == granularity and r["model_id"] == served_version and r["slice_key"] is None
        and r["drift_type"] == "BASELINE" and r["column_name"] not in (":table", "score")
        and (r["ks_test"] or r["chi_squared_test"])))
    assert int(shown["drift.cells"]) == len(drift) > 0
    for source in ("claims", "members"):
        kept = DeltaTable(str(home / "lake" / "dev" / "silver" / source)).to_pyarrow_table().num_rows
        held = DeltaTable(str(home / "lake" / "dev" / "quarantine" / source)).to_pyarrow_table().num_rows
        assert float(shown[f"quarantine.{source}"]) == held / (kept + held), source
    assert float(shown[f"traffic.{served_version}"]) == 100.0
    overview = load(browser, f"{url}/", "overview")["figures"]
    assert float(overview[f"overview.{USE_CASE}.precision"]) == last["precision"]
    start = last["window"]["start"]
    column = _latest(lake / "claims_triage_profile_metrics", lambda r: (
        r["granularity"] == granularity and r["model_id"] == served_version and r["slice_key"] is None
        and r["column_name"] == "amount" and r["window"]["start"] == start))[0]
    query = urlencode({"granularity": granularity, "name": "amount", "version": served_version, "start": start.isoformat()})
    feature = load(browser, f"{url}/model/{USE_CASE}/feature?{query}", "feature-amount")["figures"]
    assert float(feature["distribution.current_count"]) == column["count"] - column["num_nulls"]


def test_the_model_pages_snapshot_in_the_evidence_bundle_verifies_and_renders_offline(served, browser, tmp_path):
    home, _, _ = served
    bundle = tmp_path / "evidence.zip"
    exported = cli_in_process(home, "audit", "export", MODEL, "champion", str(bundle))
    assert exported.returncode == 0, exported.stdout[-2000:] + exported.stderr[-2000:]
    checked = cli_in_process(tmp_path / "auditor-home", "audit", "verify-bundle", str(bundle), "--trusted-keys",
                             str(trust_dir(home) / "trusted_keys.yaml"))
    assert checked.returncode == 0 and checked.stdout.startswith("OK:"), checked.stdout + checked.stderr
    with zipfile.ZipFile(bundle) as zf:
        html = zf.read("dashboard/model_page.html").decode()
    assert "<script src=" not in html and "vegaEmbed" in html  # every script inlined
    page = tmp_path / "model_page.html"
    page.write_text(html)
    snapshot = load(browser, page.as_uri(), "snapshot-from-bundle")
    assert_drawn(snapshot, at_least=4)
