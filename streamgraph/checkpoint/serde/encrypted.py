"""Encryption at rest: every stored value encrypted with AES-GCM (extra ``[crypto]``).

>>> import os
>>> from streamgraph.checkpoint.serde import EncryptedSerializer
>>> serde = EncryptedSerializer.from_aes_key(os.urandom(32))
>>> kind, blob = serde.dumps_typed({"secret": "hunter2"})
>>> kind, b"hunter2" in blob
('json+aesgcm', False)
>>> serde.loads_typed((kind, blob))
{'secret': 'hunter2'}
"""

from __future__ import annotations

import os
from typing import Any

from streamgraph.checkpoint.serde.base import CipherProtocol, SerializerProtocol
from streamgraph.errors import ConfigurationError, MissingDependencyError, SerializationError

__all__ = ["AesGcmCipher", "EncryptedSerializer"]

_NONCE = 12


class AesGcmCipher:
    """AES-GCM with a 16, 24 or 32-byte key; stores ``nonce(12) + ciphertext + tag(16)``."""

    name = "aesgcm"

    def __init__(self, key: bytes) -> None:
        if len(key) not in (16, 24, 32):
            raise ConfigurationError(
                f"an AES key must be 16, 24 or 32 bytes long, not {len(key)}; "
                "make one with os.urandom(32)"
            )
        try:
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        except ImportError as exc:
            raise MissingDependencyError("cryptography", "crypto") from exc
        self._aead = AESGCM(key)

    def encrypt(self, plaintext: bytes) -> tuple[str, bytes]:
        nonce = os.urandom(_NONCE)
        return self.name, nonce + self._aead.encrypt(nonce, plaintext, None)

    def decrypt(self, cipher_name: str, ciphertext: bytes) -> bytes:
        if cipher_name != self.name:
            raise SerializationError(
                f"a value encrypted with {cipher_name!r} cannot be read with {self.name!r}"
            )
        from cryptography.exceptions import InvalidTag

        try:
            return self._aead.decrypt(ciphertext[:_NONCE], ciphertext[_NONCE:], None)
        except InvalidTag:
            raise SerializationError(
                "cannot decrypt a stored value: the key is not the one it was written with, "
                "or the data was changed"
            ) from None


class EncryptedSerializer:
    """Wraps a serializer so every value is stored encrypted; the stored type is ``"json+aesgcm"``.

    Values stored before encryption was turned on (a type without ``+``) are still read.
    """

    def __init__(self, cipher: CipherProtocol, serde: SerializerProtocol | None = None) -> None:
        if serde is None:
            from streamgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

            serde = JsonPlusSerializer()
        self.cipher = cipher
        self.serde = serde

    @classmethod
    def from_aes_key(
        cls, key: bytes | None = None, serde: SerializerProtocol | None = None
    ) -> EncryptedSerializer:
        """AES-GCM with ``key``, or with the hex key in ``STREAMGRAPH_AES_KEY``."""
        if key is None:
            hex_key = os.environ.get("STREAMGRAPH_AES_KEY")
            if not hex_key:
                raise ConfigurationError(
                    "no AES key: pass key=... or set STREAMGRAPH_AES_KEY to a hex key "
                    "(python -c 'import os; print(os.urandom(32).hex())')"
                )
            key = bytes.fromhex(hex_key)
        return cls(AesGcmCipher(key), serde)

    def with_allowed_types(self, extra: Any) -> EncryptedSerializer:
        widen = getattr(self.serde, "with_allowed_types", None)
        return self if widen is None else EncryptedSerializer(self.cipher, widen(extra))

    def dumps_typed(self, obj: Any) -> tuple[str, bytes]:
        kind, raw = self.serde.dumps_typed(obj)
        name, sealed = self.cipher.encrypt(raw)
        return f"{kind}+{name}", sealed

    def loads_typed(self, data: tuple[str, bytes]) -> Any:
        kind, raw = data
        if "+" not in kind:
            return self.serde.loads_typed(data)
        inner, _, name = kind.partition("+")
        return self.serde.loads_typed((inner, self.cipher.decrypt(name, raw)))
