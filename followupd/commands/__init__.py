"""Implementations of the CLI commands that do I/O (cli.py only parses and dispatches)."""
