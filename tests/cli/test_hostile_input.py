"""Hostile input, as an adversarial user tries it (issue #10): every case gets a clear error (what,
where, how to fix) and a non-zero exit that is not 70 (fleet's "internal error"), never a traceback.
In-process with click's CliRunner (an exception escaping a command fails the test), real files."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from fleet.cli.main import cli
from fleet.example import EXAMPLE_VAULT_PASSWORD, example_config
from fleet.lab.workspace import lab_config
from fleet.workspace import init_workspace, render_config

pytestmark = pytest.mark.usefixtures("clean_env")


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FLEET_VAULT_PASSWORD", EXAMPLE_VAULT_PASSWORD)
    root = tmp_path / "msp"
    init_workspace(root, example=True)
    return root


def fleet(ws: Path, *args: str, input: str | bytes | None = None, env: dict[str, str] | None = None) -> Result:
    r = CliRunner().invoke(cli, ["-w", str(ws), *args], input=input, env=env, catch_exceptions=False)
    assert "Traceback" not in r.output
    return r


def refused(r: Result, *words: str, code: int = 1) -> None:
    assert r.exit_code == code, (r.exit_code, r.output)
    for w in words:
        assert w in r.stderr, (w, r.stderr)


# -- fleet.yml against its declared schema ------------------------------------------------------------------

def _set(cfg: dict, dotted: str, value: object) -> dict:
    node = cfg
    *parents, last = dotted.split(".")
    for p in parents:
        node = node.setdefault(p, {})
    node[last] = value
    return cfg


@pytest.mark.parametrize(("dotted", "value", "words"), [
    ("store", [1, 2], ["fleet.yml:", "store: must be a mapping", "not a list"]),
    ("extensions", "oops", ["extensions: must be a mapping"]),
    ("synchronizer", "oops", ["synchronizer: must be a mapping"]),
    ("msp", [1], ["msp: must be a mapping"]),
    ("extensions.variants.v2.extra_fields", 7, ["extensions.variants.v2.extra_fields: must be a mapping"]),
    ("health", 5, ["health: must be a mapping"]),
    ("synchronizer.version", [4, 2], ["synchronizer.version: must be a version string"]),
    ("extensions.update_url", "javascript:alert(1)", ["extensions.update_url", "not an https:// URL"]),
    ("extensions.variants.v1.update_url", "http://updates.example.com/crx", ["not an https:// URL"]),
    ("health.forks", 0, ["health.forks: 0 is out of range", "between 1 and 256"]),
    ("health.timeout", "soon", ["health.timeout: must be a number"]),
    ("alerts", [{"kind": "pager", "url": "https://x.example.com"}], ["alerts[0].kind: 'pager' is not one of"]),
    ("msp.name", "x" * 5000, ["msp.name: is 5000 characters long"]),
    ("msp.name", "evil\x1b[31m", ["msp.name: contains control characters"]),
])
def test_fleet_yml_wrong_types_and_values_are_named_with_file_and_line(
        ws: Path, dotted: str, value: object, words: list[str]) -> None:
    (ws / "fleet.yml").write_text(yaml.safe_dump(_set(example_config(), dotted, value), sort_keys=False))
    refused(fleet(ws, "inventory", "validate"), *words)


def test_unknown_keys_get_a_did_you_mean_with_the_line(ws: Path) -> None:
    text = (ws / "fleet.yml").read_text()
    (ws / "fleet.yml").write_text(text + "stroe:\n  url: sqlite:///state/other.db\n")
    n = len(text.splitlines()) + 1
    refused(fleet(ws, "inventory", "validate"), f"fleet.yml:{n}: stroe: unknown key", "did you mean store?")
    (ws / "fleet.yml").write_text(text.replace("service_name:", "servce_name:"))
    refused(fleet(ws, "inventory", "validate"), "synchronizer.servce_name: unknown key",
            "did you mean synchronizer.service_name?")


def test_a_version_yaml_would_change_is_refused_with_a_hint_to_quote_it(ws: Path) -> None:
    text = (ws / "fleet.yml").read_text()
    (ws / "fleet.yml").write_text(text.replace("version: 4.2.0", "version: 4.10"))
    refused(fleet(ws, "inventory", "validate"), "synchronizer.version: YAML reads 4.10 as the number 4.1",
            'quote it: "4.10"')
    (ws / "fleet.yml").write_text(text.replace("version: 4.2.0", "version: 4.5"))  # unchanged by YAML: kept
    assert fleet(ws, "inventory", "validate", "--json").exit_code in (0, 1)
    from fleet.config import load_config

    assert load_config(ws / "fleet.yml").synchronizer.version == "4.5"  # type: ignore[union-attr]


def test_the_example_and_lab_configs_pass_the_schema(tmp_path: Path) -> None:
    from fleet.config import parse_config
    from fleet.lab.workspace import LAB_HEALTH
    from fleet.yamlsrc import load_text

    for cfg in (example_config(), lab_config("file:///tmp/pkg.tar.gz", "a" * 64, "http://127.0.0.1:9/")):
        text = render_config(cfg) + LAB_HEALTH
        assert parse_config(load_text(text, "fleet.yml"), tmp_path / "fleet.yml").variants


def test_an_alias_bomb_is_refused_quickly(ws: Path) -> None:
    import time

    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    bomb = "\n".join(lines) + "\n"
    assert len(bomb) < 700
    inv = ws / "inventory" / "bomb.yml"
    inv.write_text("all:\n  vars:\n    x:\n" + "".join(f"      {ln}\n" for ln in bomb.splitlines()))
    t0 = time.monotonic()
    refused(fleet(ws, "inventory", "validate"), "bomb.yml:", "aliases expand")
    assert time.monotonic() - t0 < 10
    inv.unlink()
    (ws / "fleet.yml").write_text((ws / "fleet.yml").read_text() + "\nhealth:\n  x:\n" +
                                  "".join(f"    {ln}\n" for ln in bomb.splitlines()))
    refused(fleet(ws, "inventory", "validate"), "fleet.yml:", "aliases expand")


def test_an_unquoted_pms_version_is_read_as_written(ws: Path) -> None:
    inv = ws / "inventory" / "summit.yml"
    text = inv.read_text()
    assert "fleet_pms: cloud9\n" in text
    ecw = "fleet_pms: eclinicalworks\n            fleet_pms_version: 11.60\n"
    # The example's Cloud9 practice states its EHR URL (the guide's first cloud step): eCW's replaces it.
    text = text.replace("fleet_pms_url: https://summit.cloud9ortho.com", "fleet_pms_url: https://summit.ecwcloud.com")
    inv.write_text(text.replace("fleet_pms: cloud9\n", ecw))
    r = fleet(ws, "inventory", "validate")
    assert "eclinicalworks" in inv.read_text() and "11.53" not in r.output, r.output  # 11.60 >= 11.53: supported
    inv.write_text(inv.read_text().replace("fleet_pms_version: 11.60", "fleet_pms_version: 11.50"))
    assert "11.53" in fleet(ws, "inventory", "validate").output  # and an old one is still refused
