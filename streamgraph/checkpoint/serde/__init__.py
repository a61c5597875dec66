"""How savers turn state into bytes: tagged JSON, optionally encrypted.

>>> from streamgraph.checkpoint.serde import JsonPlusSerializer
>>> JsonPlusSerializer().dumps_typed([1, "a"])
('json', b'[1,"a"]')
"""

from streamgraph.checkpoint.serde.base import CipherProtocol, SerializerProtocol
from streamgraph.checkpoint.serde.encrypted import AesGcmCipher, EncryptedSerializer
from streamgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

__all__ = [
    "AesGcmCipher",
    "CipherProtocol",
    "EncryptedSerializer",
    "JsonPlusSerializer",
    "SerializerProtocol",
]
