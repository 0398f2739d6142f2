"""Pack a Chrome extension as a CRX3 file, and the extension ID its key gives it.

The lab's test extension is force-installed by Chromium from the policy fleet writes, so it must
be a real signed package: ``Cr24``, version 3, a ``CrxFileHeader`` protobuf (the RSA public key,
a SHA-256 PKCS#1 v1.5 signature, and the signed ``crx_id``), then the zip archive. The signature
covers ``b"CRX3 SignedData\\x00" + len(signed_header_data) (uint32 LE) + signed_header_data +
archive``. The ID is the first 16 bytes of SHA-256(SubjectPublicKeyInfo DER), hex digits mapped
0-f -> a-p: a new key is a new ID (Chromium's components/crx_file).
"""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile
from collections.abc import Mapping
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

MAGIC = b"Cr24"
VERSION = 3
_SIGNED_PREFIX = b"CRX3 SignedData\x00"
_ZIP_DATE = (2024, 1, 1, 0, 0, 0)  # fixed: same files, same archive


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | 0x80 if n else b)
        if not n:
            return bytes(out)


def _field(number: int, data: bytes) -> bytes:
    """A length-delimited protobuf field."""
    return _varint(number << 3 | 2) + _varint(len(data)) + data


def public_key_der(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def extension_id(spki_der: bytes) -> str:
    """The 32-letter (a-p) extension ID of a public key."""
    return "".join(chr(ord("a") + int(c, 16)) for c in hashlib.sha256(spki_der).hexdigest()[:32])


def load_or_create_key(path: Path) -> rsa.RSAPrivateKey:
    """The extension's signing key (PEM, 0600), created once: the ID stays the same across lab starts."""
    if path.is_file():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        return key
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(pem)
    tmp.chmod(0o600)
    tmp.replace(path)
    return key


def zip_files(files: Mapping[str, bytes | str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name in sorted(files):
            data = files[name]
            info = zipfile.ZipInfo(name, _ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data.encode() if isinstance(data, str) else data)
    return buf.getvalue()


def pack(files: Mapping[str, bytes | str], key: rsa.RSAPrivateKey) -> tuple[bytes, str]:
    """(CRX3 bytes, extension ID) of an extension made of ``files`` (name -> content)."""
    archive = zip_files(files)
    spki = public_key_der(key)
    signed_header_data = _field(1, hashlib.sha256(spki).digest()[:16])  # SignedData.crx_id
    message = _SIGNED_PREFIX + struct.pack("<I", len(signed_header_data)) + signed_header_data + archive
    signature = key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    proof = _field(1, spki) + _field(2, signature)  # AsymmetricKeyProof
    header = _field(2, proof) + _field(10000, signed_header_data)  # sha256_with_rsa, signed_header_data
    return MAGIC + struct.pack("<II", VERSION, len(header)) + header + archive, extension_id(spki)


def verify(crx: bytes) -> str:
    """Check a CRX3 file's signature the way Chromium does; return its extension ID (tests use this)."""
    from cryptography.hazmat.primitives.serialization import load_der_public_key

    if crx[:4] != MAGIC or struct.unpack("<I", crx[4:8])[0] != VERSION:
        raise ValueError("not a CRX3 file")
    (size,) = struct.unpack("<I", crx[8:12])
    header, archive = crx[12:12 + size], crx[12 + size:]
    fields = _parse(header)
    proof = _parse(fields[2][0])
    spki, signature = proof[1][0], proof[2][0]
    signed_header_data = fields[10000][0]
    crx_id = _parse(signed_header_data)[1][0]
    if crx_id != hashlib.sha256(spki).digest()[:16]:
        raise ValueError("crx_id does not match the key")
    message = _SIGNED_PREFIX + struct.pack("<I", len(signed_header_data)) + signed_header_data + archive
    pub = load_der_public_key(spki)
    assert isinstance(pub, rsa.RSAPublicKey)
    pub.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())  # raises InvalidSignature
    zipfile.ZipFile(io.BytesIO(archive)).testzip()
    return extension_id(spki)


def _parse(data: bytes) -> dict[int, list[bytes]]:
    """Length-delimited fields of a protobuf message (all CRX3 uses)."""
    out: dict[int, list[bytes]] = {}
    i = 0
    while i < len(data):
        tag, i = _read_varint(data, i)
        if tag & 7 != 2:
            raise ValueError(f"unexpected wire type {tag & 7}")
        n, i = _read_varint(data, i)
        out.setdefault(tag >> 3, []).append(data[i:i + n])
        i += n
    return out


def _read_varint(data: bytes, i: int) -> tuple[int, int]:
    shift = value = 0
    while True:
        b = data[i]
        i += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, i
