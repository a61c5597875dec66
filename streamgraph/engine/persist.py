"""How a run keeps its thread's state in a checkpoint saver.

A run compiled with a checkpointer loads the latest checkpoint of
``config["configurable"]["thread_id"]`` before it applies its input, saves a checkpoint
after the input and after every superstep, and saves each task's writes (attached to the
checkpoint its step started from) before the step's checkpoint. Only the saver interface
(:class:`~streamgraph.checkpoint.base.BaseCheckpointSaver`) is used; no backend is known
here. A sync door calls the saver's sync methods, an async door its async twins, so the
event loop never waits on a database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from streamgraph.checkpoint.base import (
    LATEST_VERSION,
    BaseCheckpointSaver,
    Checkpoint,
    CheckpointMetadata,
    create_checkpoint_id,
    thread_and_ns,
)
from streamgraph.engine.channels import MISSING
from streamgraph.errors import SerializationError

if TYPE_CHECKING:
    from streamgraph.engine.tasks import Task

__all__ = ["Persistence"]

_CHANNEL = re.compile(r"^[^\[.]+")


class Persistence:
    """The saver, the thread's latest checkpoint config, and the channels' versions."""

    __slots__ = ("config", "run_id", "saver", "step", "sync", "versions")

    def __init__(
        self, saver: BaseCheckpointSaver, config: Mapping[str, Any], run_id: str, *, sync: bool
    ) -> None:
        thread, ns = thread_and_ns(config)
        configurable: dict[str, Any] = {"thread_id": thread, "checkpoint_ns": ns}
        checkpoint_id = config.get("configurable", {}).get("checkpoint_id")
        if checkpoint_id:
            configurable["checkpoint_id"] = checkpoint_id
        self.saver = saver
        self.config: dict[str, Any] = {"configurable": configurable}
        self.run_id = run_id
        self.sync = sync
        self.step = -2  # the first checkpoint of a thread is the input's, at step -1
        self.versions: dict[str, str | int | float] = {}

    async def load(self) -> dict[str, Any]:
        """The channel values of the thread's latest checkpoint ({} for a new thread)."""
        if self.sync:
            found = self.saver.get_tuple(self.config)
        else:
            found = await self.saver.aget_tuple(self.config)
        if found is None:
            return {}
        self.config = found.config
        self.versions = dict(found.checkpoint["channel_versions"])
        step = found.metadata.get("step")
        self.step = step if isinstance(step, int) else -1
        return dict(found.checkpoint["channel_values"])

    async def save_writes(self, tasks: Iterable[Task]) -> None:
        """Each finished task's writes, attached to the checkpoint its step started from."""
        if "checkpoint_id" not in self.config["configurable"]:
            return  # nothing to attach to (cannot happen after the input's checkpoint)
        for task in tasks:
            writes = [item for update in task.writes for item in update.items()]
            path = repr(task.ctx.path)
            try:
                if self.sync:
                    self.saver.put_writes(self.config, writes, task.ctx.task_id, path)
                else:
                    await self.saver.aput_writes(self.config, writes, task.ctx.task_id, path)
            except SerializationError as exc:
                raise exc.at("", node=task.name) from None

    async def save(
        self,
        values: Mapping[str, Any],
        changed: Iterable[str],
        source: str,
        writers: Mapping[str, str] | None = None,
    ) -> None:
        """A checkpoint of ``values`` after a step that wrote the keys in ``changed``."""
        self.step += 1
        new_versions: dict[str, str | int | float] = {}
        for key in changed:
            version = self.saver.get_next_version(self.versions.get(key), None)
            self.versions[key] = new_versions[key] = version
        checkpoint = Checkpoint(
            v=LATEST_VERSION,
            id=create_checkpoint_id(self.step),
            ts=datetime.now(timezone.utc).isoformat(),
            channel_values={
                k: values[k] for k in self.versions if values.get(k, MISSING) is not MISSING
            },
            channel_versions=dict(self.versions),
            versions_seen={},
            updated_channels=sorted(new_versions),
        )
        metadata: CheckpointMetadata = {
            "source": source,  # type: ignore[typeddict-item]
            "step": self.step,
            "parents": {},
            "run_id": self.run_id,
        }
        try:
            if self.sync:
                self.config = self.saver.put(self.config, checkpoint, metadata, new_versions)
            else:
                self.config = await self.saver.aput(self.config, checkpoint, metadata, new_versions)
        except SerializationError as exc:
            match = _CHANNEL.match(exc.path)
            node = (writers or {}).get(match.group(0)) if match else None
            raise exc.at("", node=node) from None
