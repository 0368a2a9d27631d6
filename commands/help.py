"""HELP: every command's usage and help, straight from the registry (commands for
server operators are marked as such)."""
from ircish import numerics as N
from ircish.server import errors
from ircish.server.context import Context
from ircish.server.registry import Command, command


@command("HELP", usage="[<command>]", aliases=("HELPOP",),
         help="List the commands, or show one command's usage and help.", cost=2)
def help_(ctx: Context, subject: str = "") -> None:
    registry = ctx.registry
    if not subject:
        ctx.reply(N.RPL_HELPSTART, "*", "Commands (HELP <command> for more):")
        for entry in registry.commands():
            if entry.feature is not None and entry.feature not in ctx.features:
                continue
            ctx.reply(N.RPL_HELPTXT, "*", f"{entry.synopsis:<40} {entry.help}{_marker(entry)}")
        ctx.reply(N.RPL_ENDOFHELP, "*", "End of /HELP")
        return
    cmd = registry.get(subject)
    if cmd is None or (cmd.feature is not None and cmd.feature not in ctx.features):
        raise errors.HelpNotFound(subject)
    ctx.reply(N.RPL_HELPSTART, cmd.name, f"Usage: {cmd.synopsis}")
    ctx.reply(N.RPL_HELPTXT, cmd.name, cmd.help + _marker(cmd))
    if cmd.aliases:
        ctx.reply(N.RPL_HELPTXT, cmd.name, "Also: " + ", ".join(cmd.aliases))
    ctx.reply(N.RPL_ENDOFHELP, cmd.name, "End of /HELP")


def _marker(cmd: Command) -> str:
    return " (server operators only)" if cmd.oper_only else ""
