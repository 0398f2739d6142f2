"""Every evaluator, table-driven: (expectations, facts) in -> state (and a word of the message) out."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from healthkit import CHROME_ID, NOW, TOKEN, URL, expectations, facts, server_facts, ws_facts

from fleet.health.checks import default_checks
from fleet.health.evaluate import EVALUATORS, HostContext, evaluate_check
from fleet.health.model import State
from fleet.health.settings import HealthSettings, PosixSynchronizer
from fleet.secrets.store import fingerprint

CHECKS = default_checks()


def edit(doc: dict[str, Any], fn: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    fn(doc)
    return doc


def drop(table: str, **match: Any) -> Callable[[dict[str, Any]], None]:
    def fn(doc: dict[str, Any]) -> None:
        doc[table] = [r for r in doc[table] if not all(r.get(k) == v for k, v in match.items())]
    return fn


def setv(table: str, key: str, value: Any, **match: Any) -> Callable[[dict[str, Any]], None]:
    def fn(doc: dict[str, Any]) -> None:
        for r in doc[table]:
            if all(r.get(k) == v for k, v in match.items()):
                r[key] = value
    return fn


def chain(*fns: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def fn(doc: dict[str, Any]) -> None:
        for f in fns:
            f(doc)
    return fn


def nothing(doc: dict[str, Any]) -> None:
    pass


WS = ws_facts(("chrome",))
SYNC = {"kind": "synchronizer", "present": True, "running": True, "start": "auto", "version": "4.2.0",
        "crashes_24h": 0, "probe": "scm"}
SQLA = {"kind": "pms", "present": True, "running": True, "start": "auto", "probe": "scm"}
SRV = server_facts(Synchronizer=SYNC, SQLANYs_PattersonDBServer=SQLA)


def srv(**sync: Any) -> dict[str, Any]:
    return server_facts(Synchronizer={**SYNC, **sync}, SQLANYs_PattersonDBServer=SQLA)


# (id, check, expectation kwargs, facts document, state, message fragment)
CASES: list[tuple[str, str, dict[str, Any], dict[str, Any], State, str]] = [
    # reachability
    ("answered", "reachable", {}, WS, State.OK, "answered"),
    # browsers
    ("browser there", "browser_installed", {}, WS, State.OK, "chrome 131"),
    ("only chromium", "browser_installed", {}, ws_facts(("chromium",)), State.OK, "chromium"),
    ("no browser", "browser_installed", {}, ws_facts(()), State.CRITICAL, "no managed browser"),
    ("edge not managed", "browser_installed", {}, ws_facts(("edge",)), State.CRITICAL, "no managed browser"),
    ("recent", "browser_version", {}, WS, State.OK, "131"),
    ("old", "browser_version", {}, edit(WS, setv("browsers", "version", "109.0.1")), State.WARNING, "older than 120"),
    ("old, seen in a profile", "browser_version", {},
     edit(WS, chain(setv("browsers", "version", ""), setv("userdata", "version", "99.0"))), State.WARNING, "99.0"),
    ("version unknown", "browser_version", {},
     edit(WS, chain(setv("userdata", "version", ""), setv("browsers", "version", ""))), State.OK, "not known"),
    # forcelist
    ("forcelisted", "extension_forcelist", {}, WS, State.OK, "force-installed in chrome"),
    ("no entry", "extension_forcelist", {}, edit(WS, drop("forcelist")), State.CRITICAL,
     "`fleet deploy` would change: write our policy file /etc/opt/chrome/policies/managed/fleet-p1.json "
     "(its forcelist differs)"),
    ("wrong url", "extension_forcelist", {}, ws_facts(url="https://evil.example/crx"), State.CRITICAL,
     "(its forcelist differs)"),
    # Chrome reads a bare ID as a Web Store entry, but our file is not what the deploy writes: it
    # rewrites it (one judge: health says what the deploy would do; before, health said OK here)
    ("bare id: the deploy writes the entry with its URL", "extension_forcelist", {},
     edit(WS, setv("forcelist", "entry", CHROME_ID)), State.CRITICAL, "(its forcelist differs)"),
    ("other extension only", "extension_forcelist", {},
     edit(WS, setv("forcelist", "entry", "b" * 32 + ";" + URL)), State.CRITICAL, "(its forcelist differs)"),
    ("shadowed by a later file", "extension_forcelist", {},
     edit(WS, lambda d: d["policy_sources"].append(
         {"browser": "chrome", "source": "/etc/opt/chrome/policies/managed/zz-other.json", "ok": True,
          "has_forcelist": True})), State.CRITICAL, "zz-other.json also sets ExtensionInstallForcelist"),
    ("a later file carrying our entry does not shadow it", "extension_forcelist", {},
     edit(WS, lambda d: (d["policy_sources"].append(
         {"browser": "chrome", "source": "/etc/opt/chrome/policies/managed/zz-other.json", "ok": True,
          "has_forcelist": True}), d["forcelist"].append(
         {"browser": "chrome", "source": "/etc/opt/chrome/policies/managed/zz-other.json",
          "entry": f"{CHROME_ID};{URL}"}))), State.OK, "force-installed in chrome"),
    ("an earlier file does not matter", "extension_forcelist", {},
     edit(WS, lambda d: d["policy_sources"].append(
         {"browser": "chrome", "source": "/etc/opt/chrome/policies/managed/00-other.json", "ok": True,
          "has_forcelist": True})), State.OK, "force-installed"),
    ("unreadable file named", "extension_forcelist", {},
     edit(WS, chain(drop("forcelist"), setv("policy_sources", "ok", False), setv("policy_sources", "error", "x"))),
     State.CRITICAL, "fleet-p1.json (not valid JSON)"),
    ("chromium installed too, no policy there", "extension_forcelist", {},
     edit(ws_facts(("chrome", "chromium")), drop("forcelist", browser="chromium")), State.CRITICAL, "chromium"),
    ("no browser: policy still judged", "extension_forcelist", {}, edit(ws_facts(()), nothing), State.CRITICAL,
     "write our policy file /etc/opt/chrome/policies/managed/fleet-p1.json"),
    ("policy model broken", "extension_forcelist", {"browsers": ("firefox",)}, WS, State.UNKNOWN, "no browser"),
    # token
    ("right token", "extension_token", {}, WS, State.OK, "the practice's token"),
    ("no token", "extension_token", {}, edit(WS, drop("managed_values", field="token")), State.CRITICAL,
     "(token is missing)"),
    ("other token", "extension_token", {}, ws_facts(token="SOMEONE-ELSE"), State.CRITICAL,
     "(the token differs)"),
    ("token not text", "extension_token", {},
     edit(WS, chain(setv("managed_values", "type", "object", field="token"),
                    setv("managed_values", "sha16", "", field="token"))), State.CRITICAL, "(the token differs)"),
    ("no vault password", "extension_token", {"token": None}, WS, State.UNKNOWN,
     "the practice's token is not available to compare"),
    ("edge managed, token only in chrome", "extension_token", {"browsers": ("chrome", "edge")},
     edit(ws_facts(("chrome", "edge")), drop("managed_values", browser="edge", field="token")), State.CRITICAL,
     "/etc/opt/edge/policies/managed/fleet-p1.json (token is missing)"),
    # other settings
    ("settings match", "managed_settings", {}, WS, State.OK, "1 setting"),
    ("url differs", "managed_settings", {},
     edit(WS, setv("managed_values", "sha16", fingerprint("https://x.example"), field="practice_url")),
     State.WARNING, "(practice_url differs)"),
    ("url missing", "managed_settings", {}, edit(WS, drop("managed_values", field="practice_url")),
     State.WARNING, "(practice_url is missing)"),
    # installed in profiles
    ("installed", "extension_installed", {}, WS, State.OK, "installed in chrome (1 of 1"),
    ("policy there, not yet picked up", "extension_installed", {}, ws_facts(installed=False), State.WARNING,
     "next start"),
    ("not installed and no policy", "extension_installed", {}, edit(ws_facts(installed=False), drop("forcelist")),
     State.CRITICAL, "in none of 1"),
    ("no profile yet", "extension_installed", {}, edit(WS, drop("profiles")), State.WARNING, "no profile"),
    ("a profile of another user only", "extension_installed", {},
     edit(WS, setv("extensions", "user", "bob")), State.WARNING, "in none"),
    # install source (workgroup + off-store)
    ("web store anywhere", "install_source", {"platform": "windows"},
     edit(WS, lambda d: d.update(managed={"kind": "workgroup"})), State.OK, "Web Store"),
    ("off-store on workgroup", "install_source",
     {"platform": "windows", "cfg_update_url": "https://ext.vendor.example/update.xml"},
     edit(WS, lambda d: d.update(managed={"kind": "workgroup"})), State.CRITICAL, "blocks"),
    ("off-store on a domain", "install_source",
     {"platform": "windows", "cfg_update_url": "https://ext.vendor.example/update.xml"},
     edit(WS, lambda d: d.update(managed={"kind": "domain", "detail": "joined to corp"})), State.OK, "domain"),
    ("edge + web store on a workgroup PC", "install_source", {"platform": "windows", "browsers": ("chrome", "edge")},
     edit(WS, lambda d: d.update(managed={"kind": "workgroup", "join": "workgroup"})), State.CRITICAL,
     "Edge blocks the Chrome Web Store"),
    ("edge + web store on an Entra-joined PC", "install_source",
     {"platform": "windows", "browsers": ("chrome", "edge")},
     edit(WS, lambda d: d.update(managed={"kind": "entra", "join": "entra"})), State.OK, "entra-managed"),
    ("off-store on Entra", "install_source",
     {"platform": "windows", "cfg_update_url": "https://ext.vendor.example/update.xml"},
     edit(WS, lambda d: d.update(managed={"kind": "entra", "join": "entra"})), State.OK, "entra"),
    ("off-store, unknown", "install_source",
     {"platform": "macos", "cfg_update_url": "https://ext.vendor.example/update.xml"},
     edit(WS, lambda d: d.update(managed={"kind": "unknown", "detail": "profiles status needs root"})),
     State.UNKNOWN, "needs root"),
    # synchronizer
    ("sync installed", "synchronizer_installed", {"role": "server", "pms": "eaglesoft"}, SRV, State.OK, "4.2.0"),
    ("sync missing", "synchronizer_installed", {"role": "server", "pms": "eaglesoft"}, srv(present=False),
     State.CRITICAL, "not installed"),
    ("sync not looked for", "synchronizer_installed", {"role": "server", "pms": "eaglesoft"},
     server_facts(), State.UNKNOWN, "not verified: whether the fleet-synchronizer service is installed"),
    ("sync running", "synchronizer_running", {"role": "server", "pms": "eaglesoft"}, SRV, State.OK, "running"),
    ("sync stopped", "synchronizer_running", {"role": "server", "pms": "eaglesoft"}, srv(running=False),
     State.CRITICAL, "not running"),
    ("sync state unknown", "synchronizer_running", {"role": "server", "pms": "eaglesoft"}, srv(running=None),
     State.UNKNOWN, "not verified: whether Synchronizer runs"),
    ("autostart", "synchronizer_autostart", {"role": "server", "pms": "eaglesoft"}, SRV, State.OK, "automatically"),
    ("manual start", "synchronizer_autostart", {"role": "server", "pms": "eaglesoft"}, srv(start="manual"),
     State.WARNING, "manual"),
    ("start unknown", "synchronizer_autostart", {"role": "server", "pms": "eaglesoft"}, srv(start="unknown"),
     State.UNKNOWN, "not verified: whether Synchronizer starts at boot"),
    ("version current", "synchronizer_version", {"role": "server", "pms": "eaglesoft"}, SRV, State.OK, "4.2.0"),
    # the deploy installs fleet.yml's version, up or down: a newer one is a change too (before: OK)
    ("version newer", "synchronizer_version", {"role": "server", "pms": "eaglesoft"}, srv(version="4.10.0"),
     State.WARNING, "`fleet deploy` would change: install 4.2.0 over 4.10.0"),
    ("version old", "synchronizer_version", {"role": "server", "pms": "eaglesoft"}, srv(version="4.1.9"),
     State.WARNING, "older than 4.2.0"),
    ("version garbage", "synchronizer_version", {"role": "server", "pms": "eaglesoft"}, srv(version="beta"),
     State.WARNING, "install 4.2.0 over beta"),
    ("version not read", "synchronizer_version", {"role": "server", "pms": "eaglesoft"}, srv(version=""),
     State.UNKNOWN, "not verified: the installed version of Synchronizer"),
    ("engineer's install: no deploy, the facts alone", "synchronizer_running", {"role": "server", "pms": "dolphin"},
     srv(running=False), State.CRITICAL, "the Synchronizer service is not running"),
    # the product key (fleet's record of the key it installed with, by fingerprint)
    ("key as in the vault", "synchronizer_product_key", {"role": "server", "pms": "eaglesoft", "product_key": "K1"},
     srv(key_fingerprint=fingerprint("K1")), State.OK, "the practice's product key"),
    ("key rotated", "synchronizer_product_key", {"role": "server", "pms": "eaglesoft", "product_key": "K2"},
     srv(key_fingerprint=fingerprint("K1")), State.WARNING, "reinstall with the practice's new product key"),
    ("key not in the facts", "synchronizer_product_key", {"role": "server", "pms": "eaglesoft", "product_key": "K1"},
     SRV, State.UNKNOWN, "the installed product key's fingerprint"),
    ("no vault for the key", "synchronizer_product_key", {"role": "server", "pms": "eaglesoft"},
     srv(key_fingerprint=fingerprint("K1")), State.UNKNOWN, "product key is not available to compare"),
    ("no crash", "synchronizer_crashes", {"role": "server", "pms": "eaglesoft"}, SRV, State.OK, "no crash"),
    ("one crash", "synchronizer_crashes", {"role": "server", "pms": "eaglesoft"}, srv(crashes_24h=1),
     State.WARNING, "1 crash"),
    ("crash loop", "synchronizer_crashes", {"role": "server", "pms": "eaglesoft"}, srv(crashes_24h=5),
     State.CRITICAL, "5 crashes"),
    ("crashes untracked", "synchronizer_crashes", {"role": "server", "pms": "eaglesoft"}, srv(crashes_24h=None),
     State.OK, "not tracked"),
    # the practice system's database, from the catalog
    ("eaglesoft db up", "pms_database", {"role": "server", "pms": "eaglesoft"}, SRV, State.OK,
     "SQLANYs_PattersonDBServer running"),
    ("eaglesoft db down", "pms_database", {"role": "server", "pms": "eaglesoft"},
     server_facts(SQLANYs_PattersonDBServer={**SQLA, "running": False}), State.CRITICAL, "not running"),
    ("eaglesoft db absent", "pms_database", {"role": "server", "pms": "eaglesoft"},
     server_facts(SQLANYs_PattersonDBServer={**SQLA, "present": False, "running": False}), State.CRITICAL,
     "none of"),
    ("open dental: any MySQL, service optional", "pms_database", {"role": "server", "pms": "open_dental"},
     server_facts(MySQL80=SQLA, OpenDentalService={**SQLA, "running": False}), State.WARNING,
     "OpenDentalService not running"),
    ("open dental all up", "pms_database", {"role": "server", "pms": "open_dental"},
     server_facts(MariaDB=SQLA, OpenDentalService=SQLA), State.OK, "MariaDB running"),
    ("dentrix lists none", "pms_database", {"role": "server", "pms": "dentrix"}, server_facts(), State.OK,
     "lists no database"),
    ("db state unknown", "pms_database", {"role": "server", "pms": "eaglesoft"},
     server_facts(SQLANYs_PattersonDBServer={**SQLA, "running": None}), State.UNKNOWN, "not known"),
    # endpoint
    ("endpoint reached", "sync_endpoint", {"role": "server", "pms": "eaglesoft"}, SRV, State.OK, "HTTP 204"),
    ("endpoint blocked", "sync_endpoint", {"role": "server", "pms": "eaglesoft"},
     edit(SRV, lambda d: d.update(endpoint={"url": "https://sync.example.test", "ok": False,
                                            "error": "cannot connect (refused or blocked)"})),
     State.CRITICAL, "refused"),
    ("a proxy's 407 is not the endpoint", "sync_endpoint", {"role": "server", "pms": "eaglesoft"},
     edit(SRV, lambda d: d.update(endpoint={"url": "https://sync.example.test", "ok": True, "http_status": 407,
                                            "proxy": "http://proxy:3128"})),
     State.CRITICAL, "a proxy asked for authentication (HTTP 407), not the endpoint (via http://proxy:3128)"),
    ("a gateway's 502 is not the endpoint", "sync_endpoint", {"role": "server", "pms": "eaglesoft"},
     edit(SRV, lambda d: d.update(endpoint={"url": "https://sync.example.test", "ok": True, "http_status": 502})),
     State.CRITICAL, "gateway"),
    ("endpoint not tested", "sync_endpoint", {"role": "server", "pms": "eaglesoft"},
     edit(SRV, lambda d: d.pop("endpoint")), State.UNKNOWN, "did not test"),
    ("no endpoint configured", "sync_endpoint", {"role": "server", "pms": "eaglesoft", "cfg_endpoint": ""},
     SRV, State.UNKNOWN, "no sync_endpoint"),
    # the deploy's own verdict (its plan judged by fleet.desired.changes on the facts)
    ("no deploy plan", "in_sync", {"plan": None}, WS, State.UNKNOWN, "no deploy plan"),
    ("deploy would write our files", "in_sync", {"plan": "workstation/linux"}, ws_facts(()), State.WARNING,
     "`fleet deploy` would change: write our policy file /etc/opt/chrome/policies/managed/fleet-p1.json"),
    ("deploy would start the service", "in_sync", {"role": "server", "pms": "eaglesoft", "plan": "server/windows"},
     srv(running=False, key_fingerprint=fingerprint("ES-KEY-1")), State.WARNING, "would change: start Synchronizer"),
    ("nothing for deploy to change", "in_sync", {"role": "server", "pms": "eaglesoft", "plan": "server/windows"},
     srv(key_fingerprint=fingerprint("ES-KEY-1")), State.OK, "nothing for `fleet deploy` to change"),
    ("deploy's key not comparable", "in_sync", {"role": "server", "pms": "eaglesoft", "plan": "server/windows"},
     srv(), State.UNKNOWN, "the installed product key's fingerprint"),
    # every host
    ("disk fine", "disk_free", {}, WS, State.OK, "50.0% free"),
    ("disk low", "disk_free", {}, edit(WS, setv("disks", "free_mb", 10_000)), State.WARNING, "10.0% free"),
    ("disk full", "disk_free", {}, edit(WS, setv("disks", "free_mb", 1_000)), State.CRITICAL, "1.0% free"),
    ("worst disk counts", "disk_free", {},
     edit(WS, lambda d: d["disks"].append({"mount": "D:", "total_mb": 1000, "free_mb": 10})), State.CRITICAL, "D:"),
    ("no disk", "disk_free", {}, edit(WS, drop("disks")), State.UNKNOWN, "no disk"),
    ("clock fine", "clock_skew", {}, WS, State.OK, "within a second"),
    ("clock 2 min behind", "clock_skew", {}, edit(WS, lambda d: d["host"].update(time=NOW - 120)), State.WARNING,
     "120s behind"),
    ("clock 10 min ahead", "clock_skew", {}, edit(WS, lambda d: d["host"].update(time=NOW + 600)), State.CRITICAL,
     "ahead"),
    ("no clock", "clock_skew", {}, edit(WS, lambda d: d["host"].update(time=None)), State.UNKNOWN, "did not report"),
    ("booted yesterday", "last_boot", {}, WS, State.OK, "up 1.0 days"),
    ("up 60 days", "last_boot", {}, edit(WS, lambda d: d["host"].update(boot_time=NOW - 60 * 86400)),
     State.WARNING, "patch cycle"),
    ("boot unknown", "last_boot", {}, edit(WS, lambda d: d["host"].update(boot_time=None)), State.UNKNOWN,
     "boot time"),
]


def _expect(kw: dict[str, Any]):  # type: ignore[no-untyped-def]
    from healthkit import config

    kw = dict(kw)
    cfg_kw: dict[str, Any] = {}
    if "cfg_update_url" in kw:
        cfg_kw["extensions"] = {"update_url": kw.pop("cfg_update_url"),
                                "variants": {"v3": {"chrome": CHROME_ID}}}
    if "cfg_endpoint" in kw:
        cfg_kw["sync_endpoint"] = kw.pop("cfg_endpoint")
    plan = kw.pop("plan", "")
    x = expectations(cfg=config(**cfg_kw) if cfg_kw else None, plan=plan is not None, **kw)
    if not plan:
        return x
    from dataclasses import replace

    from healthkit import host, practice

    from fleet.catalog import default_catalog
    from fleet.desired.changes import judging_plan

    role, platform = plan.split("/")
    p = practice(kw.get("pms", "dentrix_ascend"))
    h = host(role, platform, **p.vars)
    secrets = {"fleet_token": TOKEN, "fleet_product_key": "ES-KEY-1"}
    return replace(x, deploy_plan=judging_plan(h, p, secrets, default_catalog(), config(**cfg_kw)))


@pytest.mark.parametrize(("check_id", "kw", "doc", "state", "fragment"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_evaluator(check_id: str, kw: dict[str, Any], doc: dict[str, Any], state: State, fragment: str) -> None:
    check = CHECKS.get(check_id)
    ctx = HostContext(facts(doc), _expect(kw), sent_at=NOW - 0.5, received_at=NOW + 0.5)
    out = evaluate_check(check, ctx)
    assert out.state is state, out.message
    assert fragment in out.message
    assert TOKEN not in out.message and TOKEN not in out.value


def test_every_evaluator_has_cases_and_every_check_a_known_kind() -> None:
    assert {c[1] for c in CASES} == {c.id for c in CHECKS}
    assert {c.kind for c in CHECKS} <= set(EVALUATORS)


def test_an_evaluator_that_raises_is_unknown_for_that_check_only() -> None:
    check = CHECKS.get("disk_free")
    bad = HostContext(facts(WS), expectations(), NOW, NOW)
    object.__setattr__(bad, "facts", None)  # an evaluator bug meets impossible data
    out = evaluate_check(check, bad)
    assert out.state is State.UNKNOWN and "cannot evaluate" in out.message


def test_the_token_value_is_never_sent_to_the_host() -> None:
    x = expectations(browsers=("chrome", "edge"))
    import json

    wire = json.dumps(x.wire)
    assert TOKEN not in wire and fingerprint(TOKEN) not in wire
    assert "token" in wire  # the field name is: the collector fingerprints that field
    assert x.extensions[0].fingerprints["token"] == frozenset({fingerprint(TOKEN)})


def test_server_expectations_carry_catalog_services_and_the_posix_synchronizer_settings() -> None:
    s = HealthSettings(posix_synchronizer=PosixSynchronizer(pidfile="/run/s.pid", version_file="/opt/s/VERSION"),
                       service_state_file="/var/lib/s.json")
    x = expectations(role="server", pms="open_dental", settings=s)
    names = [svc["name"] for svc in x.wire["services"]]
    assert names[0] == "Synchronizer" and {"MySQL80", "MariaDB", "OpenDentalService"} <= set(names)
    assert x.wire["services"][0]["pidfile"] == "/run/s.pid"
    assert x.wire["service_state_file"] == "/var/lib/s.json" and x.wire["endpoint"] == "https://sync.example.test"
    assert x.wire["browsers"] == []
    win = expectations(role="server", pms="open_dental", platform="windows", settings=s)
    assert "pidfile" not in win.wire["services"][0] and "homes" not in win.wire
