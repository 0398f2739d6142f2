"""`fleet export`: the browser-extension policy as GPO, .reg, RMM script, Intune, macOS profile, Linux JSON."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from fleet.cli.context import AppContext, pass_app
from fleet.cli.output import emit, exit_with, note, output_options

F = TypeVar("F", bound=Callable[..., Any])

COLUMNS = ["practice", "client", "status", "files", "token_files", "detail"]


def export_options(func: F) -> F:
    """--practice/--client/--all, --out, --zip, --forcelist-slot, --embed-token and --json/--csv/--table."""
    from fleet.export.base import DEFAULT_FORCELIST_SLOT

    func = output_options(func)
    for decorator in reversed([
        click.option("--practice", "-p", "practices", multiple=True, metavar="ID",
                     help="Practice to export (repeatable)."),
        click.option("--client", "-c", "clients", multiple=True, metavar="ID",
                     help="Export every practice of this client (repeatable)."),
        click.option("--all", "all_", is_flag=True, help="Export every practice."),
        click.option("--out", "-o", type=click.Path(file_okay=False, path_type=Path),
                     default=Path("fleet-export"), show_default=True,
                     help="Output directory (OUT/<client>/<practice>/... and OUT/manifest.json)."),
        click.option("--zip", "use_zip", is_flag=True, help="Write one zip per client instead of folders."),
        click.option("--forcelist-slot", type=click.IntRange(1, 2**31 - 1), default=DEFAULT_FORCELIST_SLOT,
                     show_default=True, metavar="N",
                     help="ExtensionInstallForcelist value name for GPO/LGPO/.reg/Intune (the RMM script "
                          "picks a free one on the machine)."),
        click.option("--embed-token", is_flag=True,
                     help="Embed the token in the PowerShell scripts (rmm, intune platform script, "
                          "create-gpo.ps1). Otherwise they take -Token or $env:FLEET_TOKEN."),
        click.option("--gpo-domain", metavar="FQDN", default="",
                     help="AD domain the GPMC backup names (default: fleet.yml gpo.domain)."),
        click.option("--gpo-domain-guid", metavar="GUID", default="",
                     help="The domain's GUID, (Get-ADDomain).ObjectGUID (default: fleet.yml gpo.domain_guid)."),
        click.option("--gpo-dc", "gpo_dc", metavar="HOST", default="",
                     help="Domain controller the backup names (default: fleet.yml gpo.domain_controller)."),
    ]):
        func = decorator(func)
    return func


@click.group()
def export() -> None:
    """Write ready-to-use policy artifacts that force-install each cloud practice's browser
    extension (Chrome, and Edge where fleet_browsers says so) with its token preset.

    Only browser-extension (cloud) practices get artifacts; the others are skipped with the reason.
    Files that carry a token are written 0600 and marked in OUT/manifest.json (which holds no secret).

    \b
    Examples:
      fleet export gpo --client brightsmiles --out ./gpo
      fleet export rmm --all --out ./rmm            # token from -Token / $env:FLEET_TOKEN at run time
      fleet export all --practice summit_cloud --zip
      fleet export linux --all --json | jq '.files[].path'
    """


def _run(app: AppContext, formats: list[str], practices: tuple[str, ...], clients: tuple[str, ...],
         all_: bool, out: Path, use_zip: bool, forcelist_slot: int, embed_token: bool, fmt: str,
         gpo_domain: str = "", gpo_domain_guid: str = "", gpo_dc: str = "") -> None:
    from fleet.config import gpo_domain as make_domain
    from fleet.errors import ConfigError
    from fleet.export.base import ExportOptions
    from fleet.export.runner import Selection, run_export

    selection = Selection(tuple(practices), tuple(clients), all_)
    if selection.empty:
        raise click.UsageError("nothing selected: pass --practice ID, --client ID or --all")
    domain = None
    if gpo_domain or gpo_domain_guid or gpo_dc:
        try:
            domain = make_domain(gpo_domain, gpo_domain_guid, gpo_dc, "--gpo-domain/--gpo-domain-guid/--gpo-dc")
        except ConfigError as exc:
            raise click.UsageError(str(exc)) from None
    options = ExportOptions(forcelist_slot=forcelist_slot, embed_token=embed_token, zip=use_zip,
                            gpo_domain=domain)
    result = run_export(app.ws, selection, formats, out, options)

    emit([r.row() for r in result.practices], COLUMNS, fmt, title=f"fleet export {' '.join(formats)}",
         json_doc=result.manifest)
    written = [r for r in result.practices if r.status == "written"]
    skipped = [r for r in result.practices if r.status == "skipped"]
    for r in result.practices:
        if r.status == "failed":
            note(f"{r.practice_id or r.client_id}: {r.reason}", fg="red")
        for text in r.notes:
            note(f"{r.practice_id}: not covered: {text}", fg="yellow")
    files = len(result.manifest["files"])
    removed = len(result.manifest["removed"])
    note(f"wrote {files} files for {len(written)} practices to {out}"
         + (f" ({len(result.manifest['zips'])} zips)" if use_zip else "")
         + (f"; removed {removed} stale files of earlier exports" if removed else "")
         + (f"; skipped {len(skipped)} non-cloud practices" if skipped else "")
         + f"; manifest: {out / 'manifest.json'}")
    secret = result.token_files
    if secret:
        shown = "\n  ".join(secret[:10]) + (f"\n  ... and {len(secret) - 10} more" if len(secret) > 10 else "")
        note(f"{len(secret)} files carry a practice token (mode 0600, contains_token in the manifest); "
             f"keep them out of email and tickets:\n  {shown}", fg="yellow")
    if result.failed:
        note(f"{len(result.failed)} practices failed; the files written for the others are kept", fg="red")
        exit_with(1)


def _command(name: str, formats: list[str], summary: str) -> click.Command:
    @export.command(name, help=summary)
    @export_options
    @pass_app
    def command(app: AppContext, /, **kw: Any) -> None:
        _run(app, formats, **kw)

    return command


gpo = _command("gpo", ["gpo"], """GPO: a GPMC backup per practice (Import-GPO), create-gpo.ps1
(New-GPO, Set-GPRegistryValue, New-GPLink -Target) and a standalone registry.pol for LGPO.exe /m.

\b
Example:
  fleet export gpo --client brightsmiles --forcelist-slot 100 --out ./gpo
""")
reg = _command("reg", ["reg"], """A .reg file per practice (regedit / reg import; REGEDIT5, UTF-16).

\b
Example:
  fleet export reg --practice brightsmiles_downtown
""")
rmm = _command("rmm", ["rmm"], """A self-contained PowerShell script per practice for RMM tools:
-Mode install|remove|verify, token from -Token or $env:FLEET_TOKEN (or embedded with
--embed-token), one summary line, exit codes 0/10-19 (see the script's help).

\b
Example:
  fleet export rmm --all --out ./rmm
""")
intune = _command("intune", ["intune"], """Intune: a custom ADMX + OMA-URI rows (CSV and JSON) and a
README; with --embed-token also the RMM script as a platform script.

\b
Example:
  fleet export intune --client riverbend --embed-token
""")
mobileconfig = _command("mobileconfig", ["mobileconfig"], """macOS configuration profile per practice
(Custom Settings payloads, mandatory level, PayloadScope System) for an MDM.

\b
Example:
  fleet export mobileconfig --practice riverbend_clinic
""")
linux = _command("linux", ["linux"], """Linux managed-policy JSON (Chrome, Chromium, and Edge where
enabled) laid out as OUT/<client>/<practice>/linux/etc/...

\b
Example:
  fleet export linux --practice riverbend_derm
""")
all_formats = _command("all", ["gpo", "reg", "rmm", "intune", "mobileconfig", "linux"],
                       """Every format at once (each practice's token is decrypted once).

\b
Example:
  fleet export all --all --zip --out ./fleet-export
""")
