"""The built-in commands: one module per command, discovered at start-up.

To add a command, add a module here (or in a folder given with `--commands`) that
defines an entry with `ircish.registry.command`; nothing else needs editing.
Modules whose names start with `_` are not loaded.
"""
