"""What a serializer and a cipher must offer a saver."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

__all__ = ["CipherProtocol", "SerializerProtocol"]


@runtime_checkable
class SerializerProtocol(Protocol):
    """Turns a value into ``(type, bytes)`` and back; the type string names the encoding."""

    def dumps_typed(self, obj: Any) -> tuple[str, bytes]: ...

    def loads_typed(self, data: tuple[str, bytes]) -> Any: ...


@runtime_checkable
class CipherProtocol(Protocol):
    """Encrypts bytes; ``encrypt`` returns the cipher's name with the ciphertext."""

    def encrypt(self, plaintext: bytes) -> tuple[str, bytes]: ...

    def decrypt(self, cipher_name: str, ciphertext: bytes) -> bytes: ...
