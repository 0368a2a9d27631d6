"""The ircish terminal client."""
