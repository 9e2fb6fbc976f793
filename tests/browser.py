"""Headless Chromium through Selenium and chromedriver (Debian's packages), for the dashboard's tests.

A fresh profile per driver and every background service off, so a test sees only its own page and
nothing reaches the network. The browser log (console errors included) is read per page."""

from __future__ import annotations

import tempfile
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1280,2000")
RENDER_TIMEOUT_SECONDS = 30

# Resolves once every chart on the page has been embedded: {marks: {name: items painted}, unpainted:
# {name: items drawn without a colour}, errors, slots}. Counted in vega's scenegraph over data marks
# (role "mark"), not axes, legends or titles: an item with no fill or stroke is drawn but not seen.
MARKS = """
const done = arguments[arguments.length - 1];
const painted = (c) => c && c !== 'transparent' && c !== 'none';
function count(mark, out) {
  for (const item of mark.items || []) {
    if (mark.role === 'mark' && mark.marktype !== 'group') {
      if (item.opacity !== 0 && (painted(item.fill) || painted(item.stroke))) out[0] += 1; else out[1] += 1;
    }
    for (const child of item.items || []) count(child, out);
  }
  return out;
}
window.lakegateReady.then(() => {
  const marks = {}, unpainted = {};
  for (const [name, view] of Object.entries(window.lakegateViews)) {
    [marks[name], unpainted[name]] = count(view.scenegraph().root, [0, 0]);
  }
  done({marks: marks, unpainted: unpainted, errors: window.lakegateErrors,
        slots: document.querySelectorAll('[data-chart]').length});
});
"""


def chromium() -> webdriver.Chrome:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists()]
    if missing:  # never a skip: `make test` installs them
        raise RuntimeError(f"{', '.join(missing)} missing: run `make browser` (apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tempfile.mkdtemp(prefix='lakegate-chromium-')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_script_timeout(RENDER_TIMEOUT_SECONDS)
    return driver


def rendered(driver: webdriver.Chrome) -> dict:
    """Wait for every chart of the loaded page; its mark counts, embed errors and number of chart slots."""
    return driver.execute_async_script(MARKS)


def console_errors(driver: webdriver.Chrome) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def figures(driver: webdriver.Chrome) -> dict[str, str]:
    """Every number the page shows for the tests: data-figure → data-value (the raw value)."""
    return driver.execute_script(
        "const o = {}; document.querySelectorAll('[data-figure]').forEach(e => "
        "{ o[e.getAttribute('data-figure')] = e.getAttribute('data-value'); }); return o;")
