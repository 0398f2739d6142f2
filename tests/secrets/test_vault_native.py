"""fleet reads ansible-vault's AES256 files without importing ansible (~0.12 s of CPU a sweep)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from fleet.secrets import vault


@pytest.mark.parametrize("label", [None, "prod"])
def test_native_decrypt_reads_what_ansible_wrote(label: str | None) -> None:
    from ansible.parsing.vault import VaultLib, VaultSecret

    secret = VaultSecret(b"s3cret pass")
    plain = "token: t0k\u00e9n\nproduct_key: 'ABCD-1234'\n".encode() * 40
    ct = VaultLib([("default", secret)]).encrypt(plain, secret, vault_id=label)
    assert ct.startswith(b"$ANSIBLE_VAULT;1.2;AES256;prod" if label else b"$ANSIBLE_VAULT;1.1;AES256")
    assert vault._decrypt_aes256(ct, b"s3cret pass") == plain
    assert vault.decrypt(ct, vault.VaultPassword(b"s3cret pass", "test")) == plain
    assert vault._decrypt_aes256(ct, b"wrong") is None
    with pytest.raises(vault.VaultError, match="cannot decrypt"):
        vault.decrypt(ct, vault.VaultPassword(b"wrong", "test"))
    tampered = ct[:-4] + (b"0000" if not ct.endswith(b"0000") else b"1111")
    with pytest.raises(vault.VaultError):
        vault.decrypt(tampered, vault.VaultPassword(b"s3cret pass", "test"))


def test_decrypting_does_not_import_ansible() -> None:
    code = ("import sys\nfrom fleet.secrets import vault\n"
            "ct = vault.encrypt(b'a: 1', vault.VaultPassword(b'p', 't'))\n"
            "for m in [m for m in sys.modules if m.startswith('ansible')]: del sys.modules[m]\n"
            "assert vault.decrypt(ct, vault.VaultPassword(b'p', 't')) == b'a: 1'\n"
            "print(sorted(m for m in sys.modules if m.startswith('ansible')))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
