"""SecretStore.decrypted_once: a deploy's readiness check and its plans decrypt each vault once."""

from __future__ import annotations

from pathlib import Path

import pytest

from fleet.errors import VaultError
from fleet.secrets import vault
from fleet.secrets.store import PRODUCT_KEY_VAR, TOKEN_VAR, SecretKind, SecretStore
from fleet.secrets.vault import VaultPassword

PW = VaultPassword(b"memo-test-password", "test")


def _counting_decrypt(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record each real decryption (by source file); the real function still does the work."""
    calls: list[str] = []
    real = vault.decrypt

    def counted(ciphertext: bytes, password: VaultPassword, source: str = "vault") -> bytes:
        calls.append(Path(source).parent.name)
        return real(ciphertext, password, source)

    monkeypatch.setattr(vault, "decrypt", counted)
    return calls


def test_each_vault_decrypted_once_inside_and_again_after(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = SecretStore(tmp_path / "inventory")
    store.set("north", SecretKind.TOKEN, "NORTH-TOKEN", PW)
    store.set("south", SecretKind.PRODUCT_KEY, "SOUTH-KEY", PW)
    calls = _counting_decrypt(monkeypatch)
    with store.decrypted_once():
        first = store.read("north", PW)
        first[TOKEN_VAR] = "changed by the caller"  # a copy: the memo is not touched
        assert store.read("north", PW) == {TOKEN_VAR: "NORTH-TOKEN"}
        assert store.read("south", PW) == {PRODUCT_KEY_VAR: "SOUTH-KEY"}
        assert store.read("south", PW) == {PRODUCT_KEY_VAR: "SOUTH-KEY"}
        assert store.read("east", PW) == {}  # no vault: nothing to decrypt
    assert sorted(calls) == ["practice_north", "practice_south"]
    store.set("north", SecretKind.TOKEN, "NEW-TOKEN", PW)  # after: the vault is read as it is now
    assert store.read("north", PW) == {TOKEN_VAR: "NEW-TOKEN"}


def test_a_failed_decryption_is_not_kept(tmp_path: Path) -> None:
    store = SecretStore(tmp_path / "inventory")
    store.set("north", SecretKind.TOKEN, "NORTH-TOKEN", PW)
    with store.decrypted_once():
        with pytest.raises(VaultError):
            store.read("north", VaultPassword(b"wrong", "test"))
        assert store.read("north", PW) == {TOKEN_VAR: "NORTH-TOKEN"}
