"""The example workspace's practices are at different onboarding steps, and the HTML report shows
them, checked in headless Chromium as the report is. The example's hosts are fictitious addresses
that must never be contacted: the sweep here is recorded in the store directly (every host
unreachable), the way a sweep's rows are written."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

from fleet.cli.main import cli
from fleet.example import EXAMPLE_LIFECYCLE
from fleet.health import storage
from fleet.health.model import HEALTH_KIND
from fleet.store import CheckResult, HostResult, Store
from fleet.workspace import Workspace, init_workspace

pytestmark = pytest.mark.usefixtures("clean_env")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _record_unreachable_sweep(root: Path) -> str:
    ws = Workspace(root)
    store = Store(ws.store_url())
    try:
        run = store.start_run(HEALTH_KIND)
        for h in ws.inventory.hosts.values():
            hr = HostResult(h.name, h.practice_id, h.client_id, "unreachable", message="unreachable: not contacted",
                            facts={"role": h.role, "platform": h.platform})
            storage.record_host(store, run.id, hr, [CheckResult(h.name, h.practice_id, h.client_id, "reachable",
                                                                "UNKNOWN", "not contacted")])
        store.finish_run(run.id, "ok", {})
        return run.id
    finally:
        store.close()


def test_the_example_workspace_report_shows_each_practice_s_onboarding_in_chromium(tmp_path: Path) -> None:
    chromium, driver_bin = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
    if not (chromium.exists() and driver_bin.exists()):
        pytest.skip("chromium and chromium-driver are not installed (scripts/bootstrap installs them)")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    root = tmp_path / "example"
    init_workspace(root, example=True)
    _record_unreachable_sweep(root)
    html = tmp_path / "report.html"
    r = CliRunner().invoke(cli, ["-w", str(root), "report", "--out", str(html)])
    assert r.exit_code == 0, r.output

    opts = webdriver.ChromeOptions()
    opts.binary_location = str(chromium)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync",
                "--disable-background-networking", "--disable-component-update", "--disable-dev-shm-usage",
                "--window-size=1300,1000", f"--user-data-dir={tmp_path / 'profile'}"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(driver_bin)), options=opts)
    try:
        driver.get(html.as_uri())
        assert [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")] == []
        # every practice's summary line shows its state (summit_cloud has none recorded: created)
        shown = {pid: driver.find_element(By.ID, f"practice-{pid}").find_element(By.CSS_SELECTOR, "summary .lc").text
                 for pid in [*EXAMPLE_LIFECYCLE, "summit_cloud"]}
        expected = {pid: state.replace("_", " ") for pid, (state, *_rest) in EXAMPLE_LIFECYCLE.items()}
        expected["summit_cloud"] = "created"
        engineer_date = (dt.datetime.now(dt.UTC) + dt.timedelta(days=EXAMPLE_LIFECYCLE["lakeside_ortho"][2] or 0))
        expected["lakeside_ortho"] += f" ({engineer_date.date().isoformat()})"
        assert shown == expected
        assert len(set(shown.values())) == 9  # nine different states
        # the per-client summary: how many in each state, who each practice waits on, for how long
        panel = driver.find_element(By.ID, "onboarding")
        rows = {row.get_attribute("data-client"): row for row in
                panel.find_elements(By.CSS_SELECTOR, "tr.onboarding-client")}
        assert set(rows) == {"brightsmiles", "lakeside", "riverbend", "summit"}
        lakeside = rows["lakeside"].find_elements(By.TAG_NAME, "td")
        assert "1 install scheduled" in lakeside[1].text and "1 select locations" in lakeside[1].text
        assert "Lakeside Orthodontics" in lakeside[2].text and "9 days" in lakeside[2].text  # the vendor's turn
        assert "Lakeside Main Street" in lakeside[3].text and "5 days" in lakeside[3].text  # ours
        summit = rows["summit"].find_elements(By.TAG_NAME, "td")
        assert "Summit Satellite" in summit[3].text  # created: waiting on us, nothing recorded yet
        # the clients overview carries the same counts
        overview = driver.find_element(By.ID, "overview").text
        assert "1 active" in overview and "1 todo" in overview
        ARTIFACTS.mkdir(exist_ok=True)
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(1300, min(int(height) + 140, 8000))
        driver.save_screenshot(str(ARTIFACTS / "report-example-onboarding.png"))
    finally:
        driver.quit()
