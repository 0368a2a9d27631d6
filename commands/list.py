"""LIST: the rooms on the server, with member counts and topics."""
from ircish import numerics as N
from ircish.context import Context
from ircish.protocol import split_list
from ircish.registry import command


@command("LIST", usage="[<room>{,<room>}]", help="List rooms with their member counts and topics.")
def list_(ctx: Context, rooms: str = "") -> None:
    rooms_table = ctx.server.rooms
    if rooms:
        found = [rooms_table.find(name) for name in split_list(rooms)]
        chosen = [room for room in found if room is not None]
    else:
        chosen = sorted(rooms_table.all(), key=lambda room: room.name.lower())
    ctx.reply(N.RPL_LISTSTART, "Channel", "Users  Name")
    for room in chosen:
        ctx.reply(N.RPL_LIST, room.name, str(len(room)), room.topic.text if room.topic else "")
    ctx.reply(N.RPL_LISTEND, "End of /LIST")
