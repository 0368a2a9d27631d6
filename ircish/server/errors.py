"""Domain errors, and the one table that turns each into its numeric reply.

Handlers raise these instead of composing error numerics by hand, so every error of
one kind reads the same wherever it happens (the model is ergo's `sendJoinError`).
"""
from __future__ import annotations

from .. import numerics as N


class IrcError(Exception):
    """An error reply: `numeric` with `params` (the target nick is added when sent)."""

    numeric: str = ""
    text: str = ""

    def __init__(self, *params: str, text: str | None = None) -> None:
        super().__init__(*params)
        self.params = params
        if text is not None:
            self.text = text

    def reply_params(self) -> list[str]:
        return [*self.params, self.text]


def _error(name: str, numeric: str, text: str) -> type[IrcError]:
    return type(name, (IrcError,), {"numeric": numeric, "text": text, "__doc__": text})


NoSuchNick = _error("NoSuchNick", N.ERR_NOSUCHNICK, "No such nick/channel")
NoSuchServer = _error("NoSuchServer", N.ERR_NOSUCHSERVER, "No such server")
NoSuchRoom = _error("NoSuchRoom", N.ERR_NOSUCHCHANNEL, "No such channel")
CannotSendToRoom = _error("CannotSendToRoom", N.ERR_CANNOTSENDTOCHAN, "Cannot send to channel")
TooManyRooms = _error("TooManyRooms", N.ERR_TOOMANYCHANNELS, "You have joined too many channels")
TooManyTargets = _error("TooManyTargets", N.ERR_TOOMANYTARGETS, "Too many targets")
NoOrigin = _error("NoOrigin", N.ERR_NOORIGIN, "No origin specified")
InvalidCapCommand = _error("InvalidCapCommand", N.ERR_INVALIDCAPCMD, "Invalid CAP command")
NoRecipient = _error("NoRecipient", N.ERR_NORECIPIENT, "No recipient given")
NoTextToSend = _error("NoTextToSend", N.ERR_NOTEXTTOSEND, "No text to send")
InputTooLong = _error("InputTooLong", N.ERR_INPUTTOOLONG, "Input line was too long")
UnknownCommand = _error("UnknownCommand", N.ERR_UNKNOWNCOMMAND, "Unknown command")
NoMotd = _error("NoMotd", N.ERR_NOMOTD, "MOTD File is missing")
NoNicknameGiven = _error("NoNicknameGiven", N.ERR_NONICKNAMEGIVEN, "No nickname given")
ErroneousNickname = _error("ErroneousNickname", N.ERR_ERRONEUSNICKNAME, "Erroneous nickname")
NicknameInUse = _error("NicknameInUse", N.ERR_NICKNAMEINUSE, "Nickname is already in use")
UserNotInRoom = _error("UserNotInRoom", N.ERR_USERNOTINCHANNEL, "They aren't on that channel")
WasNoSuchNick = _error("WasNoSuchNick", N.ERR_WASNOSUCHNICK, "There was no such nickname")
ChanOpPrivsNeeded = _error("ChanOpPrivsNeeded", N.ERR_CHANOPRIVSNEEDED,
                           "You're not channel operator")
NotOnRoom = _error("NotOnRoom", N.ERR_NOTONCHANNEL, "You're not on that channel")
NotRegistered = _error("NotRegistered", N.ERR_NOTREGISTERED, "You have not registered")
NeedMoreParams = _error("NeedMoreParams", N.ERR_NEEDMOREPARAMS, "Not enough parameters")
AlreadyRegistered = _error("AlreadyRegistered", N.ERR_ALREADYREGISTERED, "You may not reregister")
PasswordMismatch = _error("PasswordMismatch", N.ERR_PASSWDMISMATCH, "Password incorrect")
UnknownMode = _error("UnknownMode", N.ERR_UNKNOWNMODE, "is unknown mode char to me")
BadRoomName = _error("BadRoomName", N.ERR_BADCHANMASK, "Bad Channel Mask")
UnknownUserModeFlag = _error("UnknownUserModeFlag", N.ERR_UMODEUNKNOWNFLAG, "Unknown MODE flag")
UsersDontMatch = _error("UsersDontMatch", N.ERR_USERSDONTMATCH, "Can't change mode for other users")
HelpNotFound = _error("HelpNotFound", N.ERR_HELPNOTFOUND, "No help available on this topic")
UserOnRoom = _error("UserOnRoom", N.ERR_USERONCHANNEL, "is already on channel")
NoPrivileges = _error("NoPrivileges", N.ERR_NOPRIVILEGES,
                      "Permission Denied- You're not an IRC operator")
NoOperHost = _error("NoOperHost", N.ERR_NOOPERHOST, "No O-lines for your host")
RoomIsFull = _error("RoomIsFull", N.ERR_CHANNELISFULL, "Cannot join channel (+l)")
InviteOnlyRoom = _error("InviteOnlyRoom", N.ERR_INVITEONLYCHAN, "Cannot join channel (+i)")
BannedFromRoom = _error("BannedFromRoom", N.ERR_BANNEDFROMCHAN, "Cannot join channel (+b)")
BadRoomKey = _error("BadRoomKey", N.ERR_BADCHANNELKEY, "Cannot join channel (+k)")
BanListFull = _error("BanListFull", N.ERR_BANLISTFULL, "Channel ban list is full")
InvalidKey = _error("InvalidKey", N.ERR_INVALIDKEY, "Key is not well-formed")
InvalidModeParam = _error("InvalidModeParam", N.ERR_INVALIDMODEPARAM, "Invalid mode parameter")
MonitorListFull = _error("MonitorListFull", N.ERR_MONLISTFULL, "Monitor list is full.")
