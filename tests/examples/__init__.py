"""Tests of the runnable examples, the demo, and the reference's snippets."""
