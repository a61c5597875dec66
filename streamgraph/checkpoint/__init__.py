"""Checkpoint savers: where a graph keeps each thread's state between supersteps and runs.

One subpackage per backend: :mod:`streamgraph.checkpoint.memory`,
:mod:`streamgraph.checkpoint.sqlite` and :mod:`streamgraph.checkpoint.postgres` (extra
``[postgres]``). The shapes and the interface are in :mod:`streamgraph.checkpoint.base`.

>>> from streamgraph.checkpoint import MemorySaver
>>> MemorySaver().get({"configurable": {"thread_id": "nothing-yet"}}) is None
True
"""

from streamgraph.checkpoint.base import (
    BaseCheckpointSaver,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
)
from streamgraph.checkpoint.memory import InMemorySaver, MemorySaver

__all__ = [
    "BaseCheckpointSaver",
    "Checkpoint",
    "CheckpointMetadata",
    "CheckpointTuple",
    "InMemorySaver",
    "MemorySaver",
]
