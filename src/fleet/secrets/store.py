"""Per-practice secrets (extension token or Synchronizer product key) in ansible-vault files.

Each practice's secret lives in ``inventory/group_vars/practice_<id>/vault.yml``, whole-file
encrypted, so plain Ansible loads it for that practice's hosts. fleet compares secrets by a short
fingerprint and never prints them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

from fleet.errors import Location, VaultError
from fleet.inventory.model import PRACTICE_PREFIX
from fleet.secrets import vault
from fleet.yamlsrc import load_text, scalar_text

TOKEN_VAR = "fleet_token"
PRODUCT_KEY_VAR = "fleet_product_key"
SECRET_VARS = (TOKEN_VAR, PRODUCT_KEY_VAR)


class SecretKind(StrEnum):
    TOKEN = "token"
    PRODUCT_KEY = "product_key"

    @property
    def var(self) -> str:
        return TOKEN_VAR if self is SecretKind.TOKEN else PRODUCT_KEY_VAR

    @property
    def label(self) -> str:
        return "extension token" if self is SecretKind.TOKEN else "product key"


def fingerprint(secret: str) -> str:
    """A short, stable, non-reversible identifier of a secret (first 16 hex chars of its SHA-256)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class SecretStatus:
    practice_id: str
    present: bool
    kinds: tuple[str, ...] = ()  # which vars the file holds (known only once decrypted)
    fingerprints: tuple[str, ...] = ()
    error: str = ""


MAX_SECRET = 4096  # characters: vendors' tokens and product keys are far shorter


def check_secret(secret: str, label: str) -> None:
    """A token or product key as the vendor gives it: not empty, no surrounding spaces, no control
    characters (line breaks, NUL, escapes), at most MAX_SECRET characters. Errors never show it."""
    fix = "paste the secret exactly as the vendor gave it"
    if not secret:
        raise VaultError(f"the {label} is empty", hint=fix)
    if len(secret) > MAX_SECRET:
        raise VaultError(f"the {label} is {len(secret):,} characters long; at most {MAX_SECRET:,}", hint=fix)
    for i, c in enumerate(secret):
        if c == "\0":
            raise VaultError(f"the {label} contains a NUL character (position {i + 1})", hint=fix)
        if c in "\r\n":
            raise VaultError(f"the {label} contains a line break (position {i + 1})", hint=fix)
        if ord(c) < 32 or 127 <= ord(c) < 160 or c in "\u2028\u2029":
            raise VaultError(f"the {label} contains the control character U+{ord(c):04X} (position {i + 1})",
                             hint=fix)
    if secret != secret.strip():
        raise VaultError(f"the {label} has leading or trailing spaces", hint=fix)


class SecretStore:
    def __init__(self, inventory_dir: Path) -> None:
        self.inventory_dir = inventory_dir
        self._memo: dict[str, dict[str, str]] | None = None  # while decrypted_once() is open

    @contextmanager
    def decrypted_once(self) -> Iterator[None]:
        """Inside, ``read`` decrypts each practice's vault at most once (PBKDF2 + AES each time):
        a deploy's readiness check and its plans read the same vaults. Errors are raised, never
        kept; afterwards every read decrypts again (a vault changed meanwhile is read as it is)."""
        outer = self._memo
        self._memo = {} if outer is None else outer
        try:
            yield
        finally:
            self._memo = outer

    def path(self, practice_id: str) -> Path:
        return self.inventory_dir / "group_vars" / f"{PRACTICE_PREFIX}{practice_id}" / "vault.yml"

    def exists(self, practice_id: str) -> bool:
        p = self.path(practice_id)
        try:
            return p.is_file() and vault.is_encrypted(p.read_bytes()[:64])
        except OSError:
            return False

    def problem(self, practice_id: str) -> str | None:
        """What is wrong with the practice's vault file when it is there but unusable (None: fine or
        absent): a directory, plaintext or garbage where an ansible-vault file belongs."""
        p = self.path(practice_id)
        rel = f"group_vars/{p.parent.name}/{p.name}"
        if p.parent.exists() and not p.parent.is_dir():
            return f"group_vars/{p.parent.name} is a file, not a directory (it must hold vault.yml)"
        if not p.exists() and not p.is_symlink():
            return None
        if p.is_dir():
            return f"{rel} is a directory, not an ansible-vault file"
        try:
            head = p.read_bytes()[:64]
        except OSError as exc:
            return f"{rel} cannot be read: {exc.strerror}"
        if not vault.is_encrypted(head):
            return (f"{rel} is not an ansible-vault file (plaintext or damaged): secrets must be stored "
                    "encrypted; move it away and store them again with `fleet secrets set`")
        return None

    def read(self, practice_id: str, password: vault.VaultPassword) -> dict[str, str]:
        """The practice's secrets (var name -> value); {} when it has no vault file."""
        if self._memo is not None and practice_id in self._memo:
            return dict(self._memo[practice_id])
        p = self.path(practice_id)
        if not p.is_file():
            return {}
        data = _plain_vars(vault.decrypt(p.read_bytes(), password, str(p)), p)
        secrets = {k: scalar_text(v) for k, v in data.items() if k in SECRET_VARS and v not in (None, "")}
        for var, secret in secrets.items():  # written with ansible-vault by hand: checked as `secrets set` does
            kind = SecretKind.TOKEN if var == TOKEN_VAR else SecretKind.PRODUCT_KEY
            flag = "--token" if kind is SecretKind.TOKEN else "--product-key"
            try:
                check_secret(secret, kind.label)
            except VaultError as exc:
                raise VaultError(f"{var}: {exc.message}", where=Location(str(p)),
                                 hint=f"store it again: fleet secrets set {practice_id} {flag}") from None
        if self._memo is not None:
            self._memo[practice_id] = dict(secrets)
        return secrets

    def set(self, practice_id: str, kind: SecretKind, secret: str, password: vault.VaultPassword) -> str:
        """Store one secret (keeping the practice's other vault vars); returns its fingerprint."""
        check_secret(secret, kind.label)
        p = self.path(practice_id)
        problem = self.problem(practice_id)
        if problem:
            raise VaultError(problem, where=Location(str(p.parent)))
        current: dict[str, Any] = {}
        if p.is_file():
            current = _plain_vars(vault.decrypt(p.read_bytes(), password, str(p)), p)
        current[kind.var] = secret
        plain = yaml.safe_dump(current, default_flow_style=False, allow_unicode=True).encode()
        vault.write_private(p, vault.encrypt(plain, password))
        return fingerprint(secret)

    def status(self, practice_id: str, password: vault.VaultPassword | None) -> SecretStatus:
        if not self.exists(practice_id):
            return SecretStatus(practice_id, present=False)
        if password is None:
            return SecretStatus(practice_id, present=True)
        try:
            data = self.read(practice_id, password)
        except VaultError as exc:
            return SecretStatus(practice_id, present=True, error=exc.message)
        return SecretStatus(
            practice_id,
            present=bool(data),
            kinds=tuple(sorted(data)),
            fingerprints=tuple(fingerprint(data[k]) for k in sorted(data)),
        )


def _plain_vars(plain: bytes, path: Path) -> dict[Any, Any]:
    """A decrypted vault file's variables, read as fleet reads any YAML (bounded, lines kept)."""
    try:
        text = plain.decode("utf-8")
    except UnicodeDecodeError:
        raise VaultError("the decrypted vault file is not UTF-8 text", where=Location(str(path)),
                         hint="store the secrets again with `fleet secrets set`") from None
    data = load_text(text, str(path), VaultError) or {}
    if not isinstance(data, dict):
        raise VaultError("vault file does not hold a mapping", where=Location(str(path)))
    return dict(data)


def shared_secrets(fingerprints: Mapping[str, Mapping[str, str]]) -> dict[tuple[str, str], list[str]]:
    """Secrets stored for more than one practice: (var, fingerprint) -> practice ids, sorted.

    ``fingerprints`` is practice id -> {vault var: fingerprint}. Each sync has its own token or
    product key, so any entry here is a copy-paste mistake (compared by fingerprint only)."""
    seen: dict[tuple[str, str], list[str]] = {}
    for pid, fps in fingerprints.items():
        for var, fp in fps.items():
            seen.setdefault((var, fp), []).append(pid)
    return {k: sorted(v) for k, v in seen.items() if len(v) > 1}
