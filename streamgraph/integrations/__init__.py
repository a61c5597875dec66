"""Integrations with other libraries, each behind its own extra."""

__all__: list[str] = []
