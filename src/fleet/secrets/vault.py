"""ansible-vault encryption in-process (no secret ever goes through argv), and the vault password.

The password comes, as Ansible users expect, from ``--vault-password-file`` (a file, or an
executable that prints it), ``FLEET_VAULT_PASSWORD_FILE`` / ``ANSIBLE_VAULT_PASSWORD_FILE``,
``FLEET_VAULT_PASSWORD``, or an interactive prompt.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from fleet.errors import Location, VaultError

if TYPE_CHECKING:  # imported where used at run time: ansible is slow to import (and ships no types)
    from ansible.parsing.vault import VaultLib

VAULT_HEADER = b"$ANSIBLE_VAULT;"
PASSWORD_ENV = "FLEET_VAULT_PASSWORD"
PASSWORD_FILE_ENVS = ("FLEET_VAULT_PASSWORD_FILE", "ANSIBLE_VAULT_PASSWORD_FILE")


@dataclass(frozen=True)
class VaultPassword:
    """The vault password and where it came from (for messages; never the value)."""

    value: bytes
    source: str

    def __repr__(self) -> str:  # never show the password
        return f"VaultPassword(source={self.source!r})"


def _read_password_file(path: Path) -> bytes:
    # Absolute, so that "./pw.sh" runs that file, never a program of that name on PATH.
    path = path.absolute()
    if not path.exists():
        raise VaultError("vault password file not found", where=Location(str(path)))
    if os.access(path, os.X_OK) and path.is_file():
        try:
            out = subprocess.run([str(path)], capture_output=True, check=True, timeout=30)
        except (subprocess.SubprocessError, OSError) as exc:
            raise VaultError(f"vault password script failed: {exc}", where=Location(str(path))) from None
        data = out.stdout
    else:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise VaultError(f"cannot read vault password file: {exc.strerror}", where=Location(str(path))) from None
    data = data.strip()
    if not data:
        raise VaultError("vault password file is empty", where=Location(str(path)))
    return data


def resolve_password(
    password_file: str | os.PathLike[str] | None = None,
    prompt: Callable[[], str] | None = None,
) -> VaultPassword | None:
    """Find the vault password; None when no source is configured and no prompt is possible."""
    found = _find_password(password_file, prompt)
    if found is not None:
        try:
            found.value.decode("utf-8")
        except UnicodeDecodeError:
            raise VaultError(f"the vault password from {found.source} is not UTF-8 text",
                             hint="use a password of UTF-8 characters (Ansible reads it as text)") from None
        if b"\0" in found.value:
            raise VaultError(f"the vault password from {found.source} contains a NUL byte")
    return found


def _find_password(
    password_file: str | os.PathLike[str] | None = None,
    prompt: Callable[[], str] | None = None,
) -> VaultPassword | None:
    if password_file:
        return VaultPassword(_read_password_file(Path(password_file).expanduser()), f"file {password_file}")
    for env in PASSWORD_FILE_ENVS:
        if os.environ.get(env):
            return VaultPassword(_read_password_file(Path(os.environ[env]).expanduser()), f"${env}")
    if os.environ.get(PASSWORD_ENV):  # as bytes: a password need not be UTF-8
        return VaultPassword(os.environb[PASSWORD_ENV.encode()], f"${PASSWORD_ENV}")
    if prompt is not None:
        value = prompt()
        if not value:
            raise VaultError("an empty vault password was entered")
        return VaultPassword(value.encode(), "prompt")
    return None


def _vaultlib(password: VaultPassword) -> VaultLib:
    from ansible.parsing.vault import VaultLib, VaultSecret

    return VaultLib([("default", VaultSecret(password.value))])


def encrypt(plaintext: bytes, password: VaultPassword) -> bytes:
    from ansible.parsing.vault import VaultSecret

    ciphertext: bytes = _vaultlib(password).encrypt(plaintext, VaultSecret(password.value))
    return ciphertext


def decrypt(ciphertext: bytes, password: VaultPassword, source: str = "vault") -> bytes:
    if not is_encrypted(ciphertext):
        raise VaultError("not an ansible-vault file", where=Location(source))
    plaintext = _decrypt_aes256(ciphertext, password.value)
    if plaintext is None:  # not the common format: ansible's own code decides (and says why not)
        from ansible.errors import AnsibleError

        try:
            plaintext = _vaultlib(password).decrypt(ciphertext)
        except AnsibleError:
            plaintext = None
    if plaintext is None:
        raise VaultError(
            f"cannot decrypt with the vault password from {password.source}",
            where=Location(source),
            hint="check the vault password (FLEET_VAULT_PASSWORD, --vault-password-file)",
        )
    return plaintext


def _decrypt_aes256(data: bytes, secret: bytes) -> bytes | None:
    """ansible-vault's format 1.1/1.2 AES256 (PBKDF2-SHA256 10,000 rounds; AES-256-CTR; HMAC-SHA256
    over the ciphertext), with ``cryptography`` directly: importing ``ansible.parsing.vault`` costs
    ~0.12 s of CPU, a fixed share of every sweep. None when the envelope is not that format (ansible's
    code then reads it) or the password is wrong (ansible's code then says so)."""
    import binascii
    import hmac

    lines = data.strip().splitlines()
    header = lines[0].strip().split(b";") if lines else []
    if len(header) < 3 or header[1].strip() not in (b"1.1", b"1.2") or header[2].strip() != b"AES256":
        return None
    try:
        salt_hex, mac_hex, body_hex = binascii.unhexlify(b"".join(x.strip() for x in lines[1:])).split(b"\n", 2)
        salt, mac, body = binascii.unhexlify(salt_hex), binascii.unhexlify(mac_hex), binascii.unhexlify(body_hex)
    except (ValueError, binascii.Error):
        return None
    from cryptography.hazmat.primitives import hashes, padding
    from cryptography.hazmat.primitives import hmac as c_hmac
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

    derived = PBKDF2HMAC(algorithm=hashes.SHA256(), length=80, salt=salt, iterations=10000).derive(secret)
    key1, key2, iv = derived[:32], derived[32:64], derived[64:80]
    h = c_hmac.HMAC(key2, hashes.SHA256())
    h.update(body)
    if not hmac.compare_digest(h.finalize(), mac):
        return None
    dec = Cipher(algorithms.AES(key1), modes.CTR(iv)).decryptor()
    padded = dec.update(body) + dec.finalize()
    unpad = padding.PKCS7(128).unpadder()
    try:
        return unpad.update(padded) + unpad.finalize()
    except ValueError:
        return None


def is_encrypted(data: bytes) -> bool:
    return data.lstrip().startswith(VAULT_HEADER)


def write_private(path: Path, data: bytes) -> None:
    """Write a file readable by its owner only, atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:  # a write error (disk full) names no file: say which one, the old one is kept
        if exc.filename is None:
            raise OSError(exc.errno, exc.strerror, str(path)) from None
        raise
    finally:
        if tmp.exists():
            tmp.unlink()
