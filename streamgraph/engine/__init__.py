"""The runtime behind the public API: superstep loop, tasks, channels, run context and
stream bus. Internal: nothing here is part of the public API except
``engine.context.metadata_scope`` and ``engine.context.current_task``, which tools and
integrations use to reach the run.
"""

__all__: list[str] = []
