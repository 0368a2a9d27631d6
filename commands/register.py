"""REGISTER and VERIFY (IRCv3 draft/account-registration): make an account from any
client, before or after connecting.

The capability is `draft/account-registration=before-connect,custom-account-name`
(`--registration anyone`, no `--password`): the account may have any valid nick as its
name (`*` is the current nick: the one NICK gave, also before the welcome). No e-mail is
ever sent, so `email-required` is not offered and nothing waits for VERIFY. With
`--registration opers` (and on a server with `--password`, whose PASS must come first)
`before-connect` is left out and a REGISTER before the welcome is
COMPLETE_CONNECTION_REQUIRED; with `--registration nobody` the capability is not offered.

On the wire, exactly the spec's lines:

    REGISTER <account|*> <email|*> <password>
    :<server> REGISTER SUCCESS <account> :Account created; you are now logged in
    :<server> FAIL REGISTER <code> <account> :<text>
    :<server> FAIL REGISTER NEED_NICK * :<text>
    :<server> FAIL REGISTER COMPLETE_CONNECTION_REQUIRED :<text>
    VERIFY <account> <code>  ->  FAIL VERIFY INVALID_CODE <account> :<text>

Codes: ACCOUNT_EXISTS (registered, reserved after a drop, or someone else's nick now),
BAD_ACCOUNT_NAME (not a valid nick, a service's name, a Guest nick), NEED_NICK,
ALREADY_AUTHENTICATED, WEAK_PASSWORD (shorter than --min-password-length),
UNACCEPTABLE_PASSWORD (spaces, or over 300 bytes), INVALID_EMAIL,
COMPLETE_CONNECTION_REQUIRED, TEMPORARILY_UNAVAILABLE (registration closed: nobody, or
opers and the user is not one). Success logs the user in (900) as SASL would.
"""
from ircish.protocol import Message
from ircish.server.accounts import AccountError
from ircish.server.accounts.manage import register, registration_open
from ircish.server.context import Context
from ircish.server.registry import command
from ircish.server.standard_replies import safe


def fail(ctx: Context, command_name: str, error: AccountError, account: str) -> None:
    """`FAIL <command> <code> <account> :text`, with the context the spec gives each code."""
    context = {"COMPLETE_CONNECTION_REQUIRED": [], "NEED_NICK": ["*"]}.get(
        error.code, [safe(account)])
    ctx.send(Message("FAIL", [command_name, error.code, *context, error.text],
                     source=ctx.settings.server_name), force_trailing=True)


@command("REGISTER", usage="<account> <email> <password>", before_registration=True,
         cost=3, help="Register an account (* is your nick, * for no e-mail) and log in "
                      "to it: REGISTER * * <password>.")
def register_command(ctx: Context, account: str, email: str, password: str) -> None:
    def created(name: str) -> None:
        ctx.send(Message("REGISTER", ["SUCCESS", name, "Account created; you are now "
                                                        "logged in"],
                         source=ctx.settings.server_name), force_trailing=True)

    try:
        register(ctx, account, email, password, created)
    except AccountError as error:
        fail(ctx, "REGISTER", error, account if account != "*" else ctx.user.nick)


@command("VERIFY", usage="<account> <code>", before_registration=True,
         help="Complete a registration that waits for a code (none ever does here).")
def verify(ctx: Context, account: str, code: str) -> None:
    try:
        registration_open(ctx)
        if ctx.user.account is not None:
            raise AccountError("ALREADY_AUTHENTICATED", f"You are already logged in as "
                               f"{ctx.user.account}")
        raise AccountError("INVALID_CODE", "No registration here waits for a code: "
                           "REGISTER logs you in at once")
    except AccountError as error:
        fail(ctx, "VERIFY", error, account)

