"""Evaluators: pure functions from (check definition, host facts, expectations) to an ``Outcome``.

One evaluator per check *kind*, registered in ``EVALUATORS``; checks.yaml picks the kind and
supplies thresholds. No evaluator knows a practice system by name: what a server must run comes
from the catalog (``PracticeExpect.pms_services``), what a workstation must carry from the policy
model (``Expectations.extensions``). ``evaluate_host`` runs every applicable check and turns an
evaluator that raises into UNKNOWN for that check alone.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property

from fleet.catalog import parse_version
from fleet.desired import concerns
from fleet.desired.changes import HostChanges
from fleet.desired.plan import APPLY, INSTALL, REMOVE, same_version
from fleet.desired.platforms import UNKNOWN_JOIN, Flavor, edge_addons, web_store
from fleet.desired.seen import SynchronizerSeen
from fleet.health.expect import Expectations
from fleet.health.facts import HostFacts, Service
from fleet.health.model import CheckDef, Outcome, State


@dataclass(frozen=True)
class HostContext:
    facts: HostFacts
    expect: Expectations
    sent_at: float  # controller clock (epoch s) when the collector was started
    received_at: float  # ... and when its answer was complete

    @property
    def round_trip(self) -> float:
        return max(0.0, self.received_at - self.sent_at)

    @cached_property
    def drift(self) -> HostChanges | None:
        """What ``fleet deploy`` would change here: the deploy's plan judged by its own function on
        what the collector saw (None: no plan). Once per host, whichever checks read it."""
        from fleet.health.drift import host_drift

        plan = self.expect.deploy_plan
        return None if plan is None else host_drift(plan, self.facts)


Evaluator = Callable[[CheckDef, HostContext], Outcome]
EVALUATORS: dict[str, Evaluator] = {}


def evaluator(kind: str) -> Callable[[Evaluator], Evaluator]:
    def register(fn: Evaluator) -> Evaluator:
        EVALUATORS[kind] = fn
        return fn

    return register


def _fail(check: CheckDef, message: str, value: str = "") -> Outcome:
    return Outcome(check.severity, message, value)


def _ok(message: str, value: str = "") -> Outcome:
    return Outcome(State.OK, message, value)


def _unknown(message: str, value: str = "") -> Outcome:
    return Outcome(State.UNKNOWN, message, value)


def _join(items: Iterable[str], limit: int = 4) -> str:
    items = list(items)
    text = ", ".join(items[:limit])
    return text + (f" and {len(items) - limit} more" if len(items) > limit else "")


# -- the deploy's judge ---------------------------------------------------------------------------


def _deploys(ctx: HostContext, concern: str) -> bool:
    """Does ``fleet deploy`` act on ``concern`` here (a plan that applies or removes it)?"""
    plan = ctx.expect.deploy_plan
    if plan is None:
        return False
    part = plan.get("extension" if concern in concerns.EXTENSION else "synchronizer") or {}
    return part.get("action") in (APPLY, INSTALL, REMOVE)


def judged_by_deploy(concern: str) -> Callable[[Evaluator], Evaluator]:
    """A compliance check: where ``fleet deploy`` acts on ``concern``, the check's verdict is "no
    change of that concern needed" by the deploy's own judge (``fleet.desired.changes``, on what the
    collector saw): CRITICAL/WARNING (the check's severity) naming the changes, UNKNOWN naming what
    could not be compared, OK otherwise (in the wrapped evaluator's words when it agrees). Where fleet
    deploys nothing (macOS policy comes from MDM, an engineer installs the Synchronizer, no plan),
    the wrapped evaluator judges the facts alone: a monitor, with nothing to compare a deploy with."""
    def wrap(fn: Evaluator) -> Evaluator:
        @functools.wraps(fn)
        def judged(check: CheckDef, ctx: HostContext) -> Outcome:
            if not _deploys(ctx, concern) or ctx.drift is None:
                return fn(check, ctx)
            mine = ctx.drift.about(concern)
            gone = _GONE if ctx.expect.absent else ""
            unverified = f"; not verified: {_join(mine.unknown, 3)}" if mine.unknown else ""
            if mine.items:  # the wrapped evaluator's words say what is wrong, when it sees it too
                own = _own(fn, check, ctx)
                why = f"{own.message}; " if own is not None and own.state in (State.WARNING, State.CRITICAL) else gone
                return _fail(check, f"{why}`fleet deploy` would change: {_join(mine.changes, 6)}{unverified}",
                             own.value if own is not None else "")
            if mine.unknown_items:
                return _unknown(f"{gone}not verified: {_join(mine.unknown, 4)}", _value(fn, check, ctx))
            if mine.notes:
                return Outcome(State.WARNING, _join((n.text for n in mine.notes), 2), _value(fn, check, ctx))
            own = _own(fn, check, ctx)
            if own is not None and own.state is State.OK:
                return own
            return _ok(f"{gone}nothing for `fleet deploy` to change here", own.value if own else "")

        return judged

    return wrap


def _own(fn: Evaluator, check: CheckDef, ctx: HostContext) -> Outcome | None:
    try:
        return fn(check, ctx)
    except Exception:  # only its words and value are wanted: the verdict is the deploy's
        return None


def _value(fn: Evaluator, check: CheckDef, ctx: HostContext) -> str:  # the wrapped evaluator's value
    own = _own(fn, check, ctx)
    return own.value if own is not None else ""


# -- reachability -------------------------------------------------------------------------------


@evaluator("reachable")
def reachable(check: CheckDef, ctx: HostContext) -> Outcome:
    problems = [f"{e.where}: {e.error}" for e in ctx.facts.errors]
    msg = f"answered in {ctx.round_trip:.2f}s"
    if problems:
        msg += "; collector notes: " + _join(problems, 3)
    return _ok(msg, f"{ctx.round_trip:.2f}s")


# -- browsers and the extension -----------------------------------------------------------------


def _installed(ctx: HostContext, flavor: Flavor) -> bool:
    f = ctx.facts
    return (any(b.browser == flavor.name and b.binary for b in f.browsers)
            or any(u.browser == flavor.name for u in f.userdata))


def _version(ctx: HostContext, flavor: Flavor) -> str:
    """The installed binary's version; else the newest a user ran ("Last Version")."""
    f = ctx.facts
    versions = [b.version for b in f.browsers if b.browser == flavor.name and b.version]
    if not versions:
        versions = [u.version for u in f.userdata if u.browser == flavor.name and u.version]
    return max(versions, key=_version_key, default="")


def _version_key(v: str) -> tuple[int, ...]:
    try:
        return parse_version(v.split("_")[0])
    except ValueError:
        return ()


def _considered(ctx: HostContext) -> list[Flavor]:
    """Flavors whose policy must be in place: the installed ones a managed browser covers, or the
    managed browsers' main flavors when none is installed (policy is machine-wide)."""
    managed = ctx.expect.managed_flavors()
    found = [fl for fl in managed if _installed(ctx, fl)]
    if found:
        return found
    main: dict[str, Flavor] = {}
    for fl in managed:
        main.setdefault(fl.manages, fl)
    return list(main.values())


_GONE = "fleet_state is absent: "
_DEPLOY_REMOVES = "; `fleet deploy` removes it"


def _ours(ctx: HostContext, fl: Flavor) -> list[str]:
    """Sources (policy files / registry keys) where our extension is still force-installed in ``fl``."""
    ext = ctx.expect.extension_for(fl)
    if ext is None:
        return []
    return sorted({e.source for e in ctx.facts.forcelist
                   if e.browser == fl.name and e.entry.split(";", 1)[0].strip().lower() == ext.extension_id.lower()})


def _leftover_values(ctx: HostContext, fl: Flavor, token: bool) -> list[str]:
    """Managed values of our extension still on the host in ``fl`` (the token, or the other fields)."""
    ext = ctx.expect.extension_for(fl)
    if ext is None:
        return []
    return sorted({m.field for m in ctx.facts.managed_values
                   if m.browser == fl.name and m.extension_id == ext.extension_id
                   and (m.field == ext.token_field) == token})


def _removed(check: CheckDef, ctx: HostContext, what: str, left: Callable[[Flavor], list[str]]) -> Outcome:
    """An offboarded host: OK when none of ``what`` is left in any flavour, else the check fails."""
    problems = [f"{fl.name}: {_join(items, 2)}" for fl in ctx.expect.managed_flavors() if (items := left(fl))]
    if problems:
        return _fail(check, f"{_GONE}{what} still there ({'; '.join(problems)}){_DEPLOY_REMOVES}")
    return _ok(f"{_GONE}no {what} left")


def _not_required(ctx: HostContext) -> Outcome | None:
    return _ok(_GONE + "not required on an offboarded host") if ctx.expect.absent else None


def _needs_extension(ctx: HostContext) -> Outcome | None:
    """UNKNOWN when the extension expectations could not be computed."""
    pe = ctx.expect.practice
    if pe.problem and not pe.extensions:
        return _unknown(pe.problem)
    if not pe.extensions:
        return _unknown("the practice manages no browser fleet knows (fleet_browsers)")
    return None


@evaluator("browser_installed")
def browser_installed(check: CheckDef, ctx: HostContext) -> Outcome:
    if (o := _not_required(ctx)) is not None:
        return o
    managed = ctx.expect.managed_flavors()
    if not managed:
        return _needs_extension(ctx) or _unknown("no managed browser")
    found = [fl for fl in managed if _installed(ctx, fl)]
    if not found:
        wanted = sorted({fl.manages for fl in managed})
        return _fail(check, f"no managed browser installed ({_join(wanted)})")
    parts = [f"{fl.name} {_version(ctx, fl) or '(version not known yet)'}" for fl in found]
    return _ok(_join(parts), ",".join(fl.name for fl in found))


@evaluator("browser_version")
def browser_version(check: CheckDef, ctx: HostContext) -> Outcome:
    if (o := _not_required(ctx)) is not None:
        return o
    minimum = int(check.thresholds.get("min_major", 0))
    found = [fl for fl in ctx.expect.managed_flavors() if _installed(ctx, fl)]
    if not found:
        return _unknown("no managed browser installed")
    old, known = [], []
    for fl in found:
        v = _version(ctx, fl)
        key = _version_key(v)
        if not key:
            continue
        known.append(f"{fl.name} {v}")
        if key[0] < minimum:
            old.append(f"{fl.name} {v}")
    if old:
        return _fail(check, f"older than {minimum}: {_join(old)}", ",".join(old))
    if not known:
        return _ok("version not known until the browser has started once")
    return _ok(_join(known))


def _stale(ctx: HostContext, fl: Flavor) -> list[str]:
    """Earlier IDs of our extension (fleet.yml previous_ids, the other Edge build) still configured in
    ``fl``: as a force-install entry or with managed values. Each as "<id> (where)"."""
    ext = ctx.expect.extension_for(fl)
    if ext is None or not ext.stale_ids:
        return []
    stale = {i.lower() for i in ext.stale_ids}
    found: dict[str, set[str]] = {}
    for e in ctx.facts.forcelist:
        ext_id = e.entry.split(";", 1)[0].strip().lower()
        if e.browser == fl.name and ext_id in stale:
            found.setdefault(ext_id, set()).add(e.source)
    for m in ctx.facts.managed_values:
        if m.browser == fl.name and m.extension_id.lower() in stale:
            found.setdefault(m.extension_id.lower(), set()).add(f"{m.source} settings")
    return [f"{i} ({_join(sorted(w), 2)})" for i, w in sorted(found.items())]


@evaluator("extension_forcelist")
@judged_by_deploy(concerns.FORCELIST)
def extension_forcelist(check: CheckDef, ctx: HostContext) -> Outcome:
    if (o := _needs_extension(ctx)) is not None:
        return o
    if ctx.expect.absent:
        return _removed(check, ctx, "force-install entry or earlier ID",
                        lambda fl: _ours(ctx, fl) + _stale(ctx, fl))
    problems, good = [], []
    for fl in ctx.expect.managed_flavors():
        if old := _stale(ctx, fl):
            problems.append(f"{fl.name}: earlier ID of the extension still configured: {_join(old, 2)} "
                            "(fleet.yml previous_ids, or Edge's build for another join state; `fleet deploy` "
                            "or the RMM script removes it)")
    for fl in _considered(ctx):
        ext = ctx.expect.extension_for(fl)
        assert ext is not None
        # Of several sources setting the forcelist the browser uses one: Linux reads every *.json of
        # the folder and the lexicographically last file wins a conflict.
        setting = sorted(s.source for s in ctx.facts.policy_sources
                         if s.browser == fl.name and s.ok and s.has_forcelist)
        effective = setting[-1] if setting else None
        entries = [e for e in ctx.facts.forcelist if e.browser == fl.name]
        ours = [e for e in entries if e.entry.split(";", 1)[0].strip() == ext.extension_id]
        used = [e for e in ours if e.source == effective]
        if not used:
            broken = [s.source for s in ctx.facts.policy_sources if s.browser == fl.name and not s.ok]
            why = f" (unreadable policy: {_join(broken, 2)})" if broken else ""
            if ours:
                why = (f" in effect: {effective} also sets the forcelist and wins over "
                       f"{_join(sorted({e.source for e in ours}), 2)}")
            problems.append(f"{fl.name}: no force-install entry for {ext.extension_id}{why}")
            continue
        ours = used
        urls = {(e.entry.split(";", 1)[1].strip() if ";" in e.entry else "") for e in ours}
        if ext.update_url in urls or ("" in urls and web_store(ext.update_url)):
            good.append(fl.name)
        else:
            problems.append(f"{fl.name}: update URL is {_join(sorted(u or '(none)' for u in urls), 2)}, "
                            f"not {ext.update_url}")
    if problems:
        return _fail(check, "; ".join(problems))
    return _ok(f"force-installed in {_join(good)}")


def _field_state(ctx: HostContext, fl: Flavor, field: str) -> tuple[str, str]:
    """('ok'|'missing'|'differs'|'unreadable', detail) for one managed field on one flavor."""
    ext = ctx.expect.extension_for(fl)
    assert ext is not None
    rows = [m for m in ctx.facts.managed_values
            if m.browser == fl.name and m.extension_id == ext.extension_id and m.field == field]
    if not rows:
        return "missing", ""
    accepted = ext.fingerprints.get(field, frozenset())
    if any(m.sha16 in accepted for m in rows):
        return "ok", ""
    typed = [m for m in rows if m.sha16]
    if not typed:
        return "unreadable", _join(sorted({m.type for m in rows}))
    return "differs", _join(sorted({m.sha16 for m in typed}), 2)


@evaluator("extension_token")
@judged_by_deploy(concerns.TOKEN)
def extension_token(check: CheckDef, ctx: HostContext) -> Outcome:
    if (o := _needs_extension(ctx)) is not None:
        return o
    if ctx.expect.absent:
        return _removed(check, ctx, "managed token", lambda fl: _leftover_values(ctx, fl, token=True))
    pe = ctx.expect.practice
    problems, good = [], []
    for fl in _considered(ctx):
        ext = ctx.expect.extension_for(fl)
        assert ext is not None
        state, detail = _field_state(ctx, fl, ext.token_field)
        if state == "missing":
            problems.append(f"{fl.name}: no managed {ext.token_field!r} for the extension")
        elif state == "unreadable":
            problems.append(f"{fl.name}: managed {ext.token_field!r} is not text ({detail})")
        elif not pe.token_known:
            good.append(fl.name)
        elif state == "differs":
            expected = next(iter(ext.fingerprints[ext.token_field]))
            problems.append(f"{fl.name}: token differs (fingerprint {detail} on the host, "
                            f"the practice's is {expected})")
        else:
            good.append(fl.name)
    if problems:
        return _fail(check, "; ".join(problems))
    if not pe.token_known:
        return _unknown(f"a token is set in {_join(good)}, but it cannot be compared: {pe.problem}")
    fp = next(iter(ctx.expect.extensions[0].fingerprints.get(ctx.expect.extensions[0].token_field, {""})))
    return _ok(f"the practice's token in {_join(good)}", fp)


@evaluator("managed_settings")
@judged_by_deploy(concerns.SETTINGS)
def managed_settings(check: CheckDef, ctx: HostContext) -> Outcome:
    if (o := _needs_extension(ctx)) is not None:
        return o
    if ctx.expect.absent:
        return _removed(check, ctx, "managed setting", lambda fl: _leftover_values(ctx, fl, token=False))
    problems = []
    count = 0
    for fl in _considered(ctx):
        ext = ctx.expect.extension_for(fl)
        assert ext is not None
        for name in sorted(ext.fingerprints):
            if name == ext.token_field:
                continue
            count += 1
            state, _ = _field_state(ctx, fl, name)
            if state != "ok":
                problems.append(f"{fl.name}: {name} {state}")
    if problems:
        return _fail(check, "; ".join(problems))
    return _ok(f"{count} setting(s) match" if count else "no settings besides the token")


@evaluator("extension_installed")
def extension_installed(check: CheckDef, ctx: HostContext) -> Outcome:
    if (o := _needs_extension(ctx)) is not None:
        return o
    f = ctx.facts
    pending = State.parse(check.params.get("pending_severity", check.severity))
    if ctx.expect.absent:  # the browser removes a force-installed extension once its policy is gone
        policy_left = any(_ours(ctx, fl) for fl in ctx.expect.managed_flavors())
        still = sorted({e.browser for e in f.extensions
                        for x in ctx.expect.extensions if e.extension_id == x.extension_id})
        if not still:
            return _ok(_GONE + "the extension is not installed in any profile")
        if policy_left:
            return _fail(check, f"{_GONE}still installed in {_join(still)} and still force-installed{_DEPLOY_REMOVES}")
        return Outcome(pending, f"{_GONE}still installed in {_join(still)}; its policy is gone, so the browser "
                                "removes it at its next start")
    used = [fl for fl in ctx.expect.managed_flavors() if any(p.browser == fl.name for p in f.profiles)]
    if not used:
        return Outcome(pending, "no profile in a managed browser yet (no one has used it on this host)")
    problems, good, versions = [], [], set()
    for fl in used:
        ext = ctx.expect.extension_for(fl)
        assert ext is not None
        profiles = {(p.user, p.profile) for p in f.profiles if p.browser == fl.name}
        have = {(e.user, e.profile): e.version for e in f.extensions
                if e.browser == fl.name and e.extension_id == ext.extension_id and (e.user, e.profile) in profiles}
        if have:
            versions |= {v for v in have.values() if v}
            good.append(f"{fl.name} ({len(have)} of {len(profiles)} profiles)")
        else:
            problems.append(f"{fl.name}: in none of {len(profiles)} profile(s)")
    if problems:
        policy_ok = extension_forcelist(check, ctx).state is State.OK
        state = pending if policy_ok else check.severity
        hint = " (policy is in place: the browser installs it at its next start)" if policy_ok else ""
        return Outcome(state, "; ".join(problems) + hint)
    return _ok(f"installed in {_join(good)}", _join(sorted(versions, key=_version_key), 3))


@evaluator("install_source")
def install_source(check: CheckDef, ctx: HostContext) -> Outcome:
    """Will the browser accept the force-install from where it comes? Chrome blocks extensions from
    outside the Chrome Web Store on machines that are not domain/Entra/MDM-managed; Edge on such a
    Windows machine installs only Edge Add-ons builds (Microsoft's ExtensionInstallForcelist docs).
    The expected build already follows the inventory's fleet_join; this check holds it against what
    the machine reports, and names a browser the policy cannot cover there."""
    pe = ctx.expect.practice
    if pe.uncovered and not ctx.expect.absent:
        return _fail(check, "; ".join(pe.uncovered) + " (fleet_join: workgroup)", "workgroup")
    if (o := _needs_extension(ctx)) is not None:
        return o
    if (o := _not_required(ctx)) is not None:
        return o
    windows = ctx.expect.platform == "windows"
    needs_managed = []
    for e in ctx.expect.extensions:
        if e.browser == "edge" and windows:
            if web_store(e.update_url):
                needs_managed.append("Edge blocks the Chrome Web Store build (on a workgroup Edge installs only "
                                     "Edge Add-ons builds: fleet.yml edge_addons, fleet_join: workgroup)")
            elif not edge_addons(e.update_url):
                needs_managed.append(f"Edge blocks the off-store extension ({e.update_url})")
        elif not web_store(e.update_url):
            needs_managed.append(f"the browser blocks the off-store extension ({e.update_url})")
    kind = ctx.facts.managed.kind
    seen_join = ctx.facts.managed.join
    said = pe.join if pe.join not in (None, UNKNOWN_JOIN) else ""
    mismatch = ""
    if windows and seen_join and said and said != seen_join:
        mismatch = (f"; fleet_join says {said} but the machine reports {seen_join}: correct fleet_join "
                    "(fleet inventory join --write --overwrite)")
    elif windows and seen_join and pe.join == UNKNOWN_JOIN:
        mismatch = (f"; fleet_join is not set: the machine reports {seen_join} (set fleet_join: {seen_join}, "
                    "or fleet inventory join --write)")
    if not needs_managed:
        builds = "Edge Add-ons / Chrome Web Store builds" if windows else "Chrome Web Store builds"
        return _ok(f"{builds}: allowed on any machine{mismatch}", seen_join or kind)
    if kind in MANAGED_KINDS:
        return _ok(f"{kind}-managed: off-store extensions are allowed{mismatch}", kind)
    if kind == "workgroup":
        return _fail(check, f"not joined to AD or Entra ID nor MDM-managed, so {'; '.join(needs_managed)}{mismatch}",
                     kind)
    return _unknown(f"cannot tell whether the machine is managed ({ctx.facts.managed.detail or kind})", kind)


# -- the deploy's own judgement ------------------------------------------------------------------


@evaluator("in_sync")
def in_sync(check: CheckDef, ctx: HostContext) -> Outcome:
    """Nothing left for ``fleet deploy`` to change: the deploy's plan judged by the deploy's own
    function (``fleet.desired.changes``) on what the collector saw, exactly as ``fleet deploy``
    decides which hosts Ansible must run on."""
    from fleet.health.drift import host_drift

    plan = ctx.expect.deploy_plan
    if plan is None:
        return _unknown(ctx.expect.plan_problem or "no deploy plan for this host")
    drift = host_drift(plan, ctx.facts)
    unverified = f"; not verified: {_join(drift.unknown, 3)}" if drift.unknown else ""
    if drift.changes:
        return _fail(check, f"`fleet deploy` would change: {_join(drift.changes, 6)}{unverified}",
                     str(len(drift.changes)))
    if drift.unknown:
        return _unknown(f"not verified: {_join(drift.unknown, 4)}")
    return _ok("nothing for `fleet deploy` to change", "0")


# -- servers ------------------------------------------------------------------------------------


def _sync_service(ctx: HostContext) -> Service | None:
    name = ctx.expect.synchronizer
    return next((s for s in ctx.facts.services if s.kind == "synchronizer" and s.name == name), None)


def _sync_removed(check: CheckDef, ctx: HostContext, what: str) -> Outcome | None:
    """An offboarded server: fleet removed the Synchronizer it installed; ``what`` must be gone."""
    if not ctx.expect.absent:
        return None
    if ctx.expect.install_method != "self_install":
        return _ok(_GONE + "installed by the vendor's engineer: fleet neither removes nor checks it")
    svc = _sync_service(ctx)
    if svc is None or svc.present is None:
        return _unknown(f"the collector could not look for the {ctx.expect.synchronizer} service")
    if svc.present or (what == "running" and svc.running):
        return _fail(check, f"{_GONE}the {svc.name} service is still {'running' if svc.running else 'installed'}"
                     + _DEPLOY_REMOVES)
    return _ok(f"{_GONE}the {svc.name} service is removed")


def _awaiting_restart(ctx: HostContext, svc: Service) -> str:
    """fleet installed the wanted version and msiexec asked for a restart (3010) that has not
    happened yet (Windows, fleet's record): what to say, or "" (as the deploy judges it)."""
    wanted = ctx.expect.synchronizer_version
    boot = ctx.facts.host.boot_time
    if not (svc.pending_version and wanted and same_version(svc.pending_version, wanted)) or boot is None:
        return ""
    if not SynchronizerSeen(boot=str(int(boot))).same_boot(svc.pending_boot):
        return ""
    return (f"fleet installed {wanted}; the installer asked for a restart (exit code 3010) that has not "
            "happened yet: schedule it with the practice")


@evaluator("synchronizer_installed")
@judged_by_deploy(concerns.PRESENCE)
def synchronizer_installed(check: CheckDef, ctx: HostContext) -> Outcome:
    if (o := _sync_removed(check, ctx, "installed")) is not None:
        return o
    svc = _sync_service(ctx)
    if svc is None or svc.present is None:
        return _unknown(f"the collector could not look for the {ctx.expect.synchronizer} service"
                        + (f" ({svc.probe})" if svc else ""))
    if not svc.present and (why := _awaiting_restart(ctx, svc)):
        return Outcome(State.WARNING, f"the {svc.name} service appears at the restart: {why}")
    if not svc.present:
        return _fail(check, f"the {svc.name} service is not installed")
    return _ok(f"{svc.name} installed" + (f", version {svc.version}" if svc.version else ""), svc.version)


@evaluator("synchronizer_running")
@judged_by_deploy(concerns.RUNNING)
def synchronizer_running(check: CheckDef, ctx: HostContext) -> Outcome:
    if (o := _sync_removed(check, ctx, "running")) is not None:
        return o
    svc = _sync_service(ctx)
    if svc is None or svc.running is None:
        return _unknown(f"the collector could not tell whether {ctx.expect.synchronizer} runs")
    if svc.present is False:
        return _fail(check, f"the {svc.name} service is not installed")
    if not svc.running:
        return _fail(check, f"the {svc.name} service is not running")
    return _ok(f"{svc.name} is running")


@evaluator("synchronizer_autostart")
@judged_by_deploy(concerns.AUTOSTART)
def synchronizer_autostart(check: CheckDef, ctx: HostContext) -> Outcome:
    if (o := _sync_removed(check, ctx, "installed")) is not None:
        return o
    svc = _sync_service(ctx)
    if svc is None or svc.present is None:
        return _unknown(f"the collector could not look for {ctx.expect.synchronizer}")
    if not svc.present:
        return _fail(check, f"the {svc.name} service is not installed")
    if svc.start in ("auto", "delayed"):
        return _ok("starts automatically" + (" (delayed start)" if svc.start == "delayed" else ""), svc.start)
    if svc.start in ("manual", "disabled"):
        return _fail(check, f"start mode is {svc.start}: it will not come back after a reboot", svc.start)
    return _unknown(f"start mode not known ({svc.probe or 'no probe'})", svc.start)


@evaluator("synchronizer_version")
@judged_by_deploy(concerns.VERSION)
def synchronizer_version(check: CheckDef, ctx: HostContext) -> Outcome:
    if (o := _sync_removed(check, ctx, "installed")) is not None:
        return o
    svc = _sync_service(ctx)
    wanted = ctx.expect.synchronizer_version
    if svc is None or svc.present is None:
        return _unknown(f"the collector could not look for {ctx.expect.synchronizer}")
    if not svc.present:
        return _fail(check, f"the {svc.name} service is not installed")
    if not svc.version:
        return _unknown("the installed version is not known", "")
    if not wanted:
        return _ok(f"version {svc.version} (fleet.yml sets no version to compare)", svc.version)
    try:
        older = parse_version(svc.version) < parse_version(wanted)
    except ValueError:
        return _unknown(f"cannot compare version {svc.version!r} with {wanted!r}", svc.version)
    if older and (why := _awaiting_restart(ctx, svc)):
        return Outcome(State.WARNING, f"version {svc.version} runs until the restart: {why}", svc.version)
    if older:
        return _fail(check, f"version {svc.version} is older than {wanted} (fleet.yml)", svc.version)
    return _ok(f"version {svc.version}", svc.version)


@evaluator("synchronizer_product_key")
@judged_by_deploy(concerns.PRODUCT_KEY)
def synchronizer_product_key(check: CheckDef, ctx: HostContext) -> Outcome:
    """Only fleet's own installs are keyed by fleet: without a deploy plan there is nothing to compare."""
    if ctx.expect.absent:
        return _ok(_GONE + "no product key is expected on an offboarded server")
    svc, fp = _sync_service(ctx), ctx.expect.practice.product_key_fingerprint
    if svc is not None and svc.present and fp and svc.key_fingerprint == fp:
        return _ok("installed with the practice's product key", fp)
    return _unknown(ctx.expect.plan_problem or "fleet installs no Synchronizer here: no product key to compare")


@evaluator("synchronizer_crashes")
def synchronizer_crashes(check: CheckDef, ctx: HostContext) -> Outcome:
    if ctx.expect.absent:
        return _ok(_GONE + "not tracked on an offboarded server")
    svc = _sync_service(ctx)
    if svc is None or svc.present is None:
        return _unknown(f"the collector could not look for {ctx.expect.synchronizer}")
    if svc.crashes_24h is None:
        state = State.parse(check.params.get("untracked_state", "UNKNOWN"))
        return Outcome(state, f"crash history is not tracked on this host ({svc.probe or 'no probe'})")
    n = svc.crashes_24h
    crit = check.thresholds.get("critical_at", 3)
    warn = check.thresholds.get("warning_at", 1)
    value = str(n)
    if n >= crit:
        return Outcome(State.CRITICAL, f"{n} crashes in the last 24 hours", value)
    if n >= warn:
        return Outcome(State.WARNING, f"{n} crash(es) in the last 24 hours", value)
    return _ok("no crash in the last 24 hours", value)


@evaluator("pms_database")
def pms_database(check: CheckDef, ctx: HostContext) -> Outcome:
    groups = ctx.expect.practice.pms_services
    name = ctx.expect.practice.system_name or ctx.expect.practice.pms
    if not groups:
        return _ok(f"the catalog lists no database service for {name}")
    optional_sev = State.parse(check.params.get("optional_severity", "WARNING"))
    by_name = {s.name: s for s in ctx.facts.services if s.kind == "pms"}
    states, parts = [], []
    for g in groups:
        seen = [by_name[n] for n in g.any_of if n in by_name]
        running = [s.name for s in seen if s.running]
        if running:
            parts.append(f"{g.label}: {running[0]} running")
            continue
        if not seen or all(s.running is None for s in seen):
            states.append(State.UNKNOWN)
            parts.append(f"{g.label}: state not known")
            continue
        states.append(check.severity if g.required else optional_sev)
        present = [s.name for s in seen if s.present]
        parts.append(f"{g.label}: " + (f"{_join(present)} not running" if present else
                                       f"none of {_join(g.any_of)} installed"))
    state = max(states, key=lambda s: s.rank) if states else State.OK
    return Outcome(state, "; ".join(parts))


# Machines whose browsers accept off-store (and, for Edge, Chrome Web Store) force-installs.
MANAGED_KINDS = ("domain", "entra", "mdm")
# HTTP statuses that come from a proxy or a gateway in front of the endpoint, never from it.
PROXY_OR_GATEWAY_STATUS = frozenset({407, 502, 504})


@evaluator("sync_endpoint")
def sync_endpoint(check: CheckDef, ctx: HostContext) -> Outcome:
    if (o := _not_required(ctx)) is not None:
        return o
    if not ctx.expect.endpoint:
        return _unknown("no sync_endpoint in fleet.yml to test")
    ep = ctx.facts.endpoint
    if ep is None:
        return _unknown("the collector did not test the endpoint")
    if ep.ok and ep.http_status in PROXY_OR_GATEWAY_STATUS:
        # an answer, but not the endpoint's: a proxy asking for credentials or a gateway that
        # could not reach it (whichever collector sent it)
        what = "a proxy asked for authentication" if ep.http_status == 407 else "a proxy or gateway answered"
        return _fail(check, f"{ep.url}: {what} (HTTP {ep.http_status}), not the endpoint"
                            + (f" (via {ep.proxy})" if ep.proxy else ""))
    if ep.ok:
        detail = f"HTTP {ep.http_status}" if ep.http_status else "reached"
        return _ok(f"{detail} from {ep.url}" + (f" in {ep.elapsed_ms} ms" if ep.elapsed_ms is not None else ""),
                   str(ep.http_status or ""))
    return _fail(check, f"{ep.url}: {ep.error or 'unreachable'}")


# -- every host ---------------------------------------------------------------------------------


@evaluator("disk_free")
def disk_free(check: CheckDef, ctx: HostContext) -> Outcome:
    disks = [d for d in ctx.facts.disks if d.total_mb > 0]
    if not disks:
        return _unknown("no disk reported")
    seen: dict[str, float] = {}
    for d in disks:
        seen[d.mount] = min(seen.get(d.mount, 100.0), 100.0 * d.free_mb / d.total_mb)
    mount, pct = min(seen.items(), key=lambda kv: kv[1])
    free_gb = next(d.free_mb for d in disks if d.mount == mount) / 1024
    msg = f"{mount}: {pct:.1f}% free ({free_gb:.1f} GB)"
    if pct < check.thresholds.get("critical_below_pct", 5):
        return Outcome(State.CRITICAL, msg, f"{pct:.1f}%")
    if pct < check.thresholds.get("warning_below_pct", 15):
        return Outcome(State.WARNING, msg, f"{pct:.1f}%")
    return _ok(msg, f"{pct:.1f}%")


@evaluator("clock_skew")
def clock_skew(check: CheckDef, ctx: HostContext) -> Outcome:
    host_time = ctx.facts.host.time
    if host_time is None:
        return _unknown("the host did not report its time")
    # The host read its clock somewhere between sent_at and received_at (controller clock).
    if host_time < ctx.sent_at:
        skew = host_time - ctx.sent_at
    elif host_time > ctx.received_at:
        skew = host_time - ctx.received_at
    else:
        skew = 0.0
    size = abs(skew)
    msg = (f"host clock is {size:.0f}s {'behind' if skew < 0 else 'ahead'}" if size >= 1
           else "within a second of the controller")
    msg += f" (round trip {ctx.round_trip:.1f}s)"
    if size > check.thresholds.get("critical_above_s", 300):
        return Outcome(State.CRITICAL, msg, f"{skew:.0f}s")
    if size > check.thresholds.get("warning_above_s", 60):
        return Outcome(State.WARNING, msg, f"{skew:.0f}s")
    return _ok(msg, f"{skew:.0f}s")


@evaluator("last_boot")
def last_boot(check: CheckDef, ctx: HostContext) -> Outcome:
    boot = ctx.facts.host.boot_time
    if boot is None:
        return _unknown("the host did not report its boot time")
    ref = ctx.facts.host.time or ctx.received_at
    days = max(0.0, ref - boot) / 86400
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(boot))
    msg = f"up {days:.1f} days (booted {when})"
    if days > check.thresholds.get("warning_above_days", 45):
        return Outcome(check.severity, msg + ": it missed at least one patch cycle", f"{days:.0f}d")
    return _ok(msg, f"{days:.0f}d")


# -- running ------------------------------------------------------------------------------------


def evaluate_check(check: CheckDef, ctx: HostContext) -> Outcome:
    try:
        return EVALUATORS[check.kind](check, ctx)
    except Exception as exc:  # an evaluator must never stop the sweep
        return _unknown(f"cannot evaluate: {type(exc).__name__}: {exc}"[:300])


# The checks a collector that cannot read the machine still answers (it reports why it cannot).
_RUNS_CONSTRAINED = frozenset({"reachable", "clock_skew"})

# Which of the Windows collector's probes (its error rows' ``where``) each check's facts come from.
_REGISTRY = ("registry", "expectations")
_WINDOWS_PROBES: dict[str, tuple[str, ...]] = {
    "browser_installed": ("browser ", *_REGISTRY),
    "browser_version": ("browser ", *_REGISTRY),
    "extension_installed": ("ProfileList", "profiles ", "browser ", *_REGISTRY),
    "extension_forcelist": ("HKLM\\", *_REGISTRY),
    "extension_token": ("HKLM\\", *_REGISTRY),
    "managed_settings": ("HKLM\\", *_REGISTRY),
    "install_source": ("domain", "entra", "mdm", "managed", *_REGISTRY),
    "synchronizer_installed": ("service ", "expectations"),
    "synchronizer_running": ("service ", "expectations"),
    "synchronizer_autostart": ("service ", "expectations"),
    "synchronizer_version": ("service ", "expectations"),
    "synchronizer_product_key": ("service ", "expectations"),
    "synchronizer_crashes": ("service ", "crashes ", "expectations"),
    "pms_database": ("service ", "expectations"),
    "sync_endpoint": ("endpoint", "expectations"),
    "disk_free": ("disks",),
    "last_boot": ("os",),
}


def _unread(check: CheckDef, ctx: HostContext, outcome: Outcome) -> Outcome:
    """A failure judged on facts the Windows collector could not read (a probe failed, was denied
    or skipped by the time budget) is not a failure of the host: UNKNOWN, with what was not read."""
    if ctx.facts.collector != "windows" or outcome.state not in (State.WARNING, State.CRITICAL):
        return outcome
    prefixes = _WINDOWS_PROBES.get(check.kind, ())
    missing = [f"{e.where}: {e.error}" for e in ctx.facts.errors if e.where.startswith(prefixes)] if prefixes else []
    if not missing:
        return outcome
    return _unknown(f"not judged, the collector could not read all it needs ({_join(missing, 2)}); "
                    f"it would say: {outcome.message}", outcome.value)


def evaluate_host(checks: Iterable[CheckDef], ctx: HostContext) -> list[tuple[CheckDef, Outcome]]:
    mode = ctx.facts.runtime.language_mode
    if mode and mode != "FullLanguage":
        # Constrained Language Mode (AppLocker/WDAC): the Windows collector could read nothing, so
        # "no browser", "not installed" would be guesses; those checks are UNKNOWN with the reason.
        why = (f"not checked: PowerShell runs in {mode} mode on this host (AppLocker or WDAC), so the "
               "collector cannot read the registry, services or profiles")
        return [(c, evaluate_check(c, ctx) if c.kind in _RUNS_CONSTRAINED else _unknown(why)) for c in checks]
    return [(c, _unread(c, ctx, evaluate_check(c, ctx))) for c in checks]
