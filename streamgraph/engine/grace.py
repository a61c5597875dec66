"""The grace period of a stopped run: how long its nodes' cleanup may take.

Stopping a run (``close()``, ``aclose()``, ``break``) cancels each async node once, where
it waits, as ``task.cancel()`` would. Its ``finally:`` / ``except CancelledError:`` code
may then await (close a connection, flush a log) and is left to finish, for up to the
graph's ``cleanup_grace`` seconds. Past that, it is cancelled once more and the door that
stopped the run warns with :class:`~streamgraph.errors.CleanupTimeoutWarning`, naming the
nodes that were still unwinding.
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING, Any

from streamgraph.errors import CleanupTimeoutWarning, ConfigurationError

if TYPE_CHECKING:
    from streamgraph.engine.context import RunState

__all__ = ["DEFAULT_CLEANUP_GRACE", "Cleanup", "check_cleanup_grace"]

DEFAULT_CLEANUP_GRACE = 5.0
"""Seconds a stopped async node's cleanup may take before it is cancelled again."""


def check_cleanup_grace(value: Any) -> float | None:
    """``value`` as a grace period in seconds (``None``: no limit), or a clear error."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigurationError(
            f"cleanup_grace must be a number of seconds (or None for no limit), got {value!r}"
        )
    seconds = float(value)
    if math.isnan(seconds) or seconds < 0:
        raise ConfigurationError(
            f"cleanup_grace must be 0 or more seconds (or None for no limit), got {value!r}"
        )
    return None if math.isinf(seconds) else seconds


class Cleanup:
    """One stop of one run: its grace period, and what was still unwinding when it ran out."""

    __slots__ = ("grace", "overran", "run")

    def __init__(self, run: RunState, grace: float | None) -> None:
        self.run = run
        self.grace = grace
        self.overran: tuple[str, ...] | None = None  # the nodes, once the grace ran out

    def expire(self) -> None:
        """The grace ran out: note the nodes still unwinding (the driver cancels them)."""
        with self.run.lock:
            self.overran = tuple(sorted({task.node for task in self.run.live_tasks}))

    def report(self, door: str) -> None:
        """Warn if the grace ran out; called by ``door`` once the run has unwound."""
        if self.overran is None:
            return
        nodes = self.overran
        if nodes:
            label = "node" if len(nodes) == 1 else "nodes"
            what = f"the cleanup of {label} {', '.join(map(repr, nodes))}"
        else:
            what = "the run's cleanup"
        warnings.warn(
            CleanupTimeoutWarning(
                f"{door} gave {what} {self.grace:g} s to finish after the run was stopped, "
                "then cancelled it; make the cleanup quicker, or allow it longer with "
                "compile(cleanup_grace=<seconds>) (None: no limit)"
            ),
            stacklevel=3,
        )
