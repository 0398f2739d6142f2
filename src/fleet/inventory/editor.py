"""Editing the inventory's client files in place, round-trip (ruamel.yaml): comments, key order
and quoting of hand-edited files survive. Every edit is checked before it is written: what Ansible
reads from the file (parsed again with PyYAML) must differ only where the edit meant it to; files
are written atomically. Used by ``fleet inventory import`` (rmm_import) and ``fleet inventory join``.
"""


from __future__ import annotations

import contextlib
import io
import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError as RuamelYAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString

from fleet.errors import FleetError, ImportFileError, InventoryError, Location
from fleet.inventory.devices import DeviceRow, slug
from fleet.inventory.model import CLIENT_PREFIX, PRACTICE_PREFIX, inventory_files

# -- the inventory files, round-trip ----------------------------------------------------------------


def _guess_indent(text: str) -> tuple[int, int, int]:
    """(mapping, sequence, offset) indentation as ruamel.yaml's ``indent()`` wants them."""
    maps: Counter[int] = Counter()
    seqs: Counter[tuple[int, int]] = Counter()
    prev_indent, prev_opens_block = 0, False
    for raw in text.splitlines():
        s = raw.lstrip(" ")
        if not s or s.startswith("#"):
            continue
        ind = len(raw) - len(s)
        if prev_opens_block:
            if s.startswith("- ") and ind >= prev_indent:
                content = 1 + len(s[1:]) - len(s[1:].lstrip(" "))
                seqs[(ind - prev_indent + content, ind - prev_indent)] += 1
            elif ind > prev_indent:
                maps[ind - prev_indent] += 1
        code = re.sub(r"\s+#.*$", "", s)
        prev_opens_block = code.endswith(":") and not code.startswith("- ")
        prev_indent = ind
    mapping = maps.most_common(1)[0][0] if maps else 2
    sequence, offset = seqs.most_common(1)[0][0] if seqs else (mapping, 0)
    return mapping, max(sequence, offset + 2), offset


def _split_preamble(text: str) -> tuple[str, str]:
    """Comments/directives up to an explicit ``---`` (which ruamel.yaml would drop), and the rest."""
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        s = line.strip()
        if not s or s.startswith("#") or s.startswith("%"):
            continue
        if re.fullmatch(r"---(\s+#.*)?", s):
            return "".join(lines[: i + 1]), "".join(lines[i + 1:])
        break
    return "", text


def _pyyaml_str_safe(value: str) -> Any:
    """``value`` as a YAML scalar Ansible (PyYAML, YAML 1.1) reads back as the same string."""
    try:
        back = yaml.safe_load(value)
    except yaml.YAMLError:
        back = None
    if back == value and isinstance(back, str) and not value.startswith((" ", "'", '"')) and value == value.strip():
        return value
    return SingleQuotedScalarString(value)


@dataclass
class ClientDoc:
    path: Path
    raw: bytes | None  # the bytes read (None: a new file)
    data: Any
    yaml: YAML
    preamble: str = ""
    epilogue: str = ""
    bom: bool = False
    crlf: bool = False
    dirty: bool = False

    @property
    def line_offset(self) -> int:
        """Lines before the part ruamel.yaml parsed (the kept preamble), for file line numbers."""
        return self.preamble.count("\n") if self.raw is not None else 0

    def render(self) -> bytes:
        out = io.StringIO()
        self.yaml.dump(self.data, out)
        text = self.preamble + out.getvalue() + self.epilogue
        if self.crlf:
            text = text.replace("\r\n", "\n").replace("\n", "\r\n")
        return (b"\xef\xbb\xbf" if self.bom else b"") + text.encode("utf-8")


def _new_yaml(mapping: int = 2, sequence: int = 2, offset: int = 0) -> YAML:
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 4096  # never re-wrap long values
    y.allow_unicode = True
    y.indent(mapping=mapping, sequence=sequence, offset=offset)
    return y


def _load_doc(path: Path) -> ClientDoc:
    raw = path.read_bytes()
    bom = raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    crlf = "\r\n" in text
    text = text.replace("\r\n", "\n")
    preamble, body = _split_preamble(text)
    epilogue = ""
    m = re.search(r"\n\.\.\.[ \t]*\n?\Z", body)
    if m:
        body, epilogue = body[: m.start() + 1], body[m.start() + 1:]
    y = _new_yaml(*_guess_indent(body))
    try:
        data = y.load(body)
    except RuamelYAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 + preamble.count("\n") if mark else None
        problem = getattr(exc, "problem", None) or exc
        raise InventoryError(f"not valid YAML: {problem}", where=Location(str(path), line)) from None
    if data is None:  # only comments: keep them all, add below
        preamble = text if text.endswith("\n") or not text else text + "\n"
        data = CommentedMap()
    if not isinstance(data, CommentedMap):
        raise InventoryError("the top level must be a mapping (all: children: ...)", where=Location(str(path), 1))
    return ClientDoc(path, raw, data, y, preamble, epilogue, bom, crlf)


def _line(doc: ClientDoc, mapping: Any, key: Any) -> int | None:
    with contextlib.suppress(Exception):
        return int(mapping.lc.key(key)[0]) + 1 + doc.line_offset
    return None


@dataclass
class ClientEntry:
    id: str
    name: str
    doc: ClientDoc
    body: dict[Any, Any]  # its group's mapping in the file (a ruamel CommentedMap: comments kept)
    new: bool = False


@dataclass
class PracticeEntry:
    id: str
    client_id: str
    site: str
    doc: ClientDoc
    body: dict[Any, Any]  # its group's mapping in the file (a ruamel CommentedMap: comments kept)
    new: bool = False


@dataclass
class HostRef:
    name: str
    doc: ClientDoc
    groups: tuple[str, ...]  # group chain from the top, e.g. (all, client_x, practice_x_y)
    hosts: dict[Any, Any]  # the ``hosts:`` mapping holding it (a ruamel CommentedMap)
    line: int | None

    @property
    def practice_id(self) -> str | None:
        if len(self.groups) == 3 and self.groups[0] == "all" and self.groups[1].startswith(CLIENT_PREFIX) \
                and self.groups[2].startswith(PRACTICE_PREFIX):
            return self.groups[2][len(PRACTICE_PREFIX):]
        return None

    @property
    def client_id(self) -> str | None:
        if len(self.groups) >= 2 and self.groups[0] == "all" and self.groups[1].startswith(CLIENT_PREFIX):
            return self.groups[1][len(CLIENT_PREFIX):]
        return None

    def where(self, root: Path) -> str:
        return str(Location(relative(self.doc.path, root), self.line))

    @property
    def vars(self) -> Any:
        return self.hosts.get(self.name)


def relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)


class InventoryFiles:
    """The inventory files loaded round-trip, with an index of clients, practices and hosts."""

    def __init__(self, inventory_dir: Path) -> None:
        self.dir = inventory_dir
        self.docs: dict[Path, ClientDoc] = {}
        self.clients: dict[str, ClientEntry] = {}
        self.practices: dict[str, PracticeEntry] = {}
        self.hosts: dict[str, list[HostRef]] = {}  # lowercased name -> occurrences
        for path in inventory_files(inventory_dir):
            doc = _load_doc(path)
            self.docs[path] = doc
            for group, body in doc.data.items():
                self._walk(doc, (str(group),), body)

    def _walk(self, doc: ClientDoc, chain: tuple[str, ...], body: Any) -> None:
        if not isinstance(body, dict):
            return
        if len(chain) == 2 and chain[0] == "all" and chain[1].startswith(CLIENT_PREFIX):
            cid = chain[1][len(CLIENT_PREFIX):]
            if cid not in self.clients:
                cvars = body.get("vars")
                cvars = cvars if isinstance(cvars, dict) else {}
                self.clients[cid] = ClientEntry(cid, str(cvars.get("fleet_client_name") or cid), doc, body)
        if len(chain) == 3 and chain[0] == "all" and chain[1].startswith(CLIENT_PREFIX) \
                and chain[2].startswith(PRACTICE_PREFIX):
            pid = chain[2][len(PRACTICE_PREFIX):]
            if pid not in self.practices:
                pvars = body.get("vars")
                pvars = pvars if isinstance(pvars, dict) else {}
                self.practices[pid] = PracticeEntry(pid, chain[1][len(CLIENT_PREFIX):],
                                                    str(pvars.get("fleet_site") or ""), doc, body)
        hosts = body.get("hosts")
        if isinstance(hosts, dict):
            for name in hosts:
                ref = HostRef(str(name), doc, chain, hosts, _line(doc, hosts, name))
                self.hosts.setdefault(str(name).lower(), []).append(ref)
        children = body.get("children")
        if isinstance(children, dict):
            for group, child in children.items():
                self._walk(doc, (*chain, str(group)), child)

    # -- resolving an export row ------------------------------------------------------------------
    def find_client(self, name: str) -> list[ClientEntry]:
        s = slug(name)
        if s in self.clients:
            return [self.clients[s]]
        return [c for c in self.clients.values() if slug(c.name) == s]

    def practices_for(self, client: ClientEntry, site: str) -> list[PracticeEntry]:
        pid = f"{client.id}_{slug(site) or 'main'}"
        found = [p for p in self.practices.values() if p.client_id == client.id
                 and (p.id in (pid, slug(site)) or (site and slug(p.site) == slug(site)))]
        return found

    # -- editing ----------------------------------------------------------------------------------
    def client_file(self, client_id: str) -> ClientDoc:
        for suffix in (".yml", ".yaml"):
            path = self.dir / f"{client_id}{suffix}"
            if path in self.docs:
                return self.docs[path]
        path = self.dir / f"{client_id}.yml"
        doc = ClientDoc(path, None, CommentedMap(), _new_yaml(),
                   preamble=f"# Client {client_id}: Ansible YAML inventory (created by `fleet inventory import`;\n"
                            "# edit freely: imports keep comments and hand-added vars)\n")
        self.docs[path] = doc
        return doc

    def add_client(self, cid: str, name: str) -> ClientEntry:
        doc = self.client_file(cid)
        top = doc.data
        if not isinstance(top.get("all"), dict):
            top["all"] = CommentedMap()
        if not isinstance(top["all"].get("children"), dict):
            top["all"]["children"] = CommentedMap()
        body = CommentedMap([("vars", CommentedMap([("fleet_client_name", _pyyaml_str_safe(name))])),
                             ("children", CommentedMap())])
        top["all"]["children"][f"{CLIENT_PREFIX}{cid}"] = body
        client = ClientEntry(cid, name, doc, body, new=True)
        self.clients[cid] = client
        doc.dirty = True
        return client

    def add_practice(self, client: ClientEntry, pid: str, name: str, site: str) -> PracticeEntry:
        if not isinstance(client.body.get("children"), dict):
            client.body["children"] = CommentedMap()
        pvars = CommentedMap([("fleet_practice_name", _pyyaml_str_safe(name))])
        if site:
            pvars["fleet_site"] = _pyyaml_str_safe(site)
        body = CommentedMap([("vars", pvars), ("hosts", CommentedMap())])
        client.body["children"][f"{PRACTICE_PREFIX}{pid}"] = body
        practice = PracticeEntry(pid, client.id, site, client.doc, body, new=True)
        self.practices[pid] = practice
        client.doc.dirty = True
        return practice

    def add_host(self, practice: PracticeEntry, dev: DeviceRow) -> str:
        if not isinstance(practice.body.get("hosts"), dict):
            practice.body["hosts"] = CommentedMap()
        name = dev.hostname.lower()
        hvars = CommentedMap()
        if dev.address:
            hvars["ansible_host"] = _pyyaml_str_safe(dev.address)
        hvars["fleet_role"] = dev.role
        hvars["fleet_platform"] = dev.platform
        practice.body["hosts"][_pyyaml_str_safe(name)] = hvars
        groups = ("all", f"{CLIENT_PREFIX}{practice.client_id}", f"{PRACTICE_PREFIX}{practice.id}")
        self.hosts[name] = [HostRef(name, practice.doc, groups, practice.body["hosts"], None)]
        practice.doc.dirty = True
        return name

    def set_address(self, ref: HostRef, address: str) -> None:
        hvars = ref.hosts.get(ref.name)
        if not isinstance(hvars, dict):
            hvars = CommentedMap()
            ref.hosts[ref.name] = hvars
        old = hvars.get("ansible_host")
        if isinstance(old, SingleQuotedScalarString | DoubleQuotedScalarString):
            hvars["ansible_host"] = type(old)(address)  # keep the file's quoting
        else:
            hvars["ansible_host"] = _pyyaml_str_safe(address)
        ref.doc.dirty = True


# -- safety: verify, then write atomically -----------------------------------------------------------


def plain_yaml(raw: bytes | None, path: Path) -> Any:
    if raw is None:
        return None
    from fleet.yamlsrc import load_text

    return load_text(raw.decode("utf-8-sig"), str(path), InventoryError)


def flatten(data: Any) -> dict[tuple[str, ...], Any]:
    """Every group's vars and every host's vars, keyed by group chain (+ host), as Ansible reads them."""
    out: dict[tuple[str, ...], Any] = {}

    def walk(chain: tuple[str, ...], body: Any) -> None:
        if not isinstance(body, dict):
            out[(*chain, "=")] = body
            return
        for k, v in body.items():
            if k == "hosts" and isinstance(v, dict | None):
                for h, hv in (v or {}).items():
                    out[(*chain, str(h))] = hv
            elif k == "children" and isinstance(v, dict | None):
                for g, gv in (v or {}).items():
                    walk((*chain, str(g)), gv)
            else:
                out[(*chain, f"{k}=")] = v

    if isinstance(data, dict):
        for g, body in data.items():
            walk((str(g),), body)
    elif data is not None:
        out[("=",)] = data
    return out


def verify_edit(doc: ClientDoc, new: bytes, before: dict[tuple[str, ...], Any], updated: set[tuple[str, ...]],
            changed_var: str = "ansible_host") -> None:
    """What Ansible reads from the new text keeps every old group var and host var (except the
    ``changed_var`` we meant to change on the ``updated`` hosts). Anything else is a bug here: refuse
    to write."""
    after = flatten(plain_yaml(new, doc.path))
    for key, old in before.items():
        if key not in after:
            raise FleetError(f"internal error: the import would drop {'/'.join(key)}; nothing was written",
                             where=Location(str(doc.path)), hint="please report this with the file")
        new_val = after[key]
        if key in updated:
            old = {k: v for k, v in (old or {}).items() if k != changed_var}
            new_val = {k: v for k, v in (new_val or {}).items() if k != changed_var}
        if old != new_val:
            raise FleetError(f"internal error: the import would change {'/'.join(key)}; nothing was written",
                             where=Location(str(doc.path)), hint="please report this with the file")


def write_all(inv: InventoryFiles, rendered: dict[Path, bytes]) -> None:
    for path in rendered:  # first check that nobody edited a file while we worked
        doc = inv.docs[path]
        current = path.read_bytes() if path.exists() else None
        if current != doc.raw:
            raise ImportFileError("changed on disk during the import; nothing was written",
                                  where=Location(str(path)), hint="run the import again")
    for path, data in rendered.items():
        atomic_write(path, data)


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` all at once (temp file in the same directory + os.replace)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o7777 if path.exists() else None
    tmp = path.with_name(f".{path.name}.import-{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        raise ImportFileError(f"cannot write: {exc.strerror}", where=Location(str(path))) from None
    finally:
        if tmp.exists():
            tmp.unlink()
