"""`fleet secrets`: store a practice's token/product key in its vault; check which are missing."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from fleet.cli.context import AppContext, pass_app
from fleet.cli.output import emit, exit_with, note, output_options
from fleet.errors import FleetError
from fleet.secrets.store import MAX_SECRET, SecretKind, shared_secrets

if TYPE_CHECKING:
    from fleet.inventory.model import Practice
    from fleet.workspace import Workspace


@click.group()
def secrets() -> None:
    """Per-practice secrets, ansible-vault encrypted. Never printed, never taken from argv.

    \b
    Examples:
      fleet secrets set brightsmiles_downtown --token        # prompts, hidden
      printf %s "$TOKEN" | fleet secrets set riverbend_clinic --token --stdin
      fleet secrets check
    """


@secrets.command("set", context_settings={"allow_extra_args": True})
@click.argument("practice")
@click.option("--token", "kind", flag_value="token", help="Store the practice's extension token (cloud).")
@click.option("--product-key", "kind", flag_value="product_key", help="Store the Synchronizer product key (on-prem).")
@click.option("--stdin", "from_stdin", is_flag=True, help="Read the secret from standard input instead of a prompt.")
@pass_app
@click.pass_context
def set_(ctx: click.Context, app: AppContext, practice: str, kind: str | None, from_stdin: bool) -> None:
    """Store PRACTICE's token or product key, vault-encrypted. The secret is read from a hidden
    prompt or stdin, never from the command line."""
    if ctx.args:
        # Most likely `--token THE-SECRET`: refuse without repeating the value (it may be the secret).
        raise click.UsageError(f"unexpected extra argument{'s' if len(ctx.args) > 1 else ''} (not shown: "
                               "it may be a secret). The secret is never taken from the command line: "
                               "it is read from a hidden prompt or, with --stdin, from standard input")
    if kind is None:
        raise click.UsageError("say which secret: --token or --product-key")
    ws = app.ws
    if practice not in ws.inventory.practices:
        # Not echoed either: `fleet secrets set --token THE-SECRET` makes the secret the PRACTICE argument.
        close = [pid for pid in ws.inventory.practices if pid in practice or practice in pid][:5]
        raise FleetError("no such practice in the inventory (the name given is not repeated: it may be a secret)",
                         hint=(f"did you mean {', '.join(close)}? " if close else "")
                         + "`fleet inventory show` lists the practices")
    p = ws.inventory.practice(practice)
    skind = SecretKind(kind)
    expected = _expected_kind(ws, p)
    if expected and expected != skind:
        raise FleetError(f"{p.id} ({p.pms}) needs a {expected.label}, not a {skind.label}",
                         hint=f"fleet secrets set {p.id} --{expected.value.replace('_', '-')}")
    if from_stdin or not sys.stdin.isatty():
        raw = sys.stdin.buffer.read(MAX_SECRET * 4 + 8)
        try:
            secret = raw.decode("utf-8").strip("\r\n")
        except UnicodeDecodeError as exc:
            raise FleetError(f"the {skind.label} read from standard input is not UTF-8 text (byte {exc.start + 1})",
                             hint="pipe the secret as UTF-8 text, e.g. printf %s \"$TOKEN\" | fleet secrets set ...") \
                from None
    else:
        secret = click.prompt(f"{skind.label} for {p.id}", hide_input=True, confirmation_prompt=True, err=True)
    fp = ws.secrets.set(p.id, skind, secret, ws.password())
    note(f"stored the {skind.label} of {p.id} (fingerprint {fp}) in {ws.secrets.path(p.id).relative_to(ws.root)}",
         fg="green")


def _expected_kind(ws: Workspace, p: Practice) -> SecretKind | None:
    system = ws.catalog.find(p.pms)
    if system is None:
        return None
    method = system.resolve(p.vars)[0].value
    return {"chrome_extension": SecretKind.TOKEN, "self_install": SecretKind.PRODUCT_KEY}.get(method)


@secrets.command()
@output_options
@pass_app
def check(app: AppContext, fmt: str) -> None:
    """Say which practices lack their secret (with a vault password: also that it decrypts).
    Shows fingerprints only, never a secret. Exit 1 if any practice lacks one."""
    ws = app.ws
    pw = ws.password(required=False)
    rows, missing = [], 0
    fps = ws.secret_fingerprints()
    shared = shared_secrets(fps or {})
    dupes = 0
    for p in ws.inventory.practices.values():
        want = _expected_kind(ws, p)
        st = ws.secrets.status(p.id, pw)
        if want is None:
            state = "not needed"
        elif not st.present:
            state, missing = "missing", missing + 1
        elif st.error:
            state, missing = f"unreadable: {st.error}", missing + 1
        elif pw is not None and want.var not in st.kinds:
            state, missing = f"no {want.label}", missing + 1
        else:
            state = "ok" if pw is not None else "stored (not decrypted: no vault password)"
            others = sorted({o for (var, _), pids in shared.items() if var == want.var and p.id in pids
                             for o in pids if o != p.id})
            if others:
                state, dupes = f"same {want.label} as {', '.join(others)}", dupes + 1
        rows.append({"practice": p.id, "needs": want.label if want else "-", "state": state,
                     "fingerprint": ", ".join(st.fingerprints)})
    emit(rows, ["practice", "needs", "state", "fingerprint"], fmt)
    if missing or dupes:
        problems = [f"{missing} practices lack a usable secret"] if missing else []
        if dupes:
            problems.append(f"{dupes} practices share a secret with another practice (each sync has its own: "
                            "store each practice's own with `fleet secrets set`)")
        note("; ".join(problems), fg="red")
        exit_with(1)
    note("every practice that needs a secret has one", fg="green")
