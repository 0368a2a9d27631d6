"""The ircish server: one reader thread per client, rooms under fine-grained locks.

Nothing is imported here, so that `ircish.server.commands` (the plugin folder) can be
located without loading the server (the client reads the plugins' command entries).
"""
