"""Command line for accounts and the audit: `python -m assistant users|collections|groups|audit ...`.

Passwords are read from a prompt, or with `--password-stdin` from the first line of standard input; never
from the command line, where other users of the machine could read them.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import AssistantError, print_error, report
from assistant.principal import ROLES

if TYPE_CHECKING:
    from assistant.accounts import Accounts
    from assistant.db import Database

COMMANDS = ("users", "collections", "groups", "audit")


def add_admin_commands(sub: Any) -> None:
    """Add the users, collections, groups and audit sub-commands to the `python -m assistant` parser."""
    users = sub.add_parser("users", help="accounts: add, list, disable, reset-password, role, key")
    users_sub = users.add_subparsers(dest="action", required=True)
    add = users_sub.add_parser("add", help="create a user (asks for the password)")
    add.add_argument("name")
    add.add_argument("--role", choices=ROLES, default="reader", help="admin, editor or reader (default)")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    listing = users_sub.add_parser("list", help="every user, role, status and groups")
    listing.add_argument("--json", action="store_true", help="print JSON")
    disable = users_sub.add_parser("disable", help="stop a user signing in (password, sessions and keys)")
    disable.add_argument("name")
    disable.add_argument("--enable", action="store_true", help="let them in again")
    reset = users_sub.add_parser("reset-password", help="set a new password (asks for it)")
    reset.add_argument("name")
    reset.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    role = users_sub.add_parser("role", help="change a user's role")
    role.add_argument("name")
    role.add_argument("role", choices=ROLES)
    key = users_sub.add_parser("key", help="make a personal API key (shown once), list or revoke keys")
    key.add_argument("name")
    key.add_argument("--label", default="", help="what the key is for (shown in --list)")
    key.add_argument("--list", action="store_true", help="list the user's keys instead")
    key.add_argument("--revoke", type=int, metavar="ID", help="delete the key with this id (see --list)")

    collections = sub.add_parser("collections", help="collections and who may read or write them")
    coll_sub = collections.add_subparsers(dest="action", required=True)
    coll_add = coll_sub.add_parser("add", help="create a collection")
    coll_add.add_argument("name")
    for verb, text in (("grant", "let a user or group read (--write: and change) it"), ("revoke", "take that away")):
        change = coll_sub.add_parser(verb, help=text)
        change.add_argument("name", help="the collection")
        holder = change.add_mutually_exclusive_group(required=True)
        holder.add_argument("--user")
        holder.add_argument("--group")
        if verb == "grant":
            change.add_argument("--write", action="store_true", help="may also upload, delete and restore")
    coll_list = coll_sub.add_parser("list", help="every collection and its grants")
    coll_list.add_argument("--json", action="store_true", help="print JSON")

    groups = sub.add_parser("groups", help="groups of users")
    groups_sub = groups.add_subparsers(dest="action", required=True)
    group_add = groups_sub.add_parser("add", help="create a group")
    group_add.add_argument("name")
    member = groups_sub.add_parser("member", help="add a user to a group")
    member.add_argument("group")
    member.add_argument("user")
    member.add_argument("--remove", action="store_true", help="take the user out instead")
    groups_sub.add_parser("list", help="every group and its members")

    audit = sub.add_parser("audit", help="the audit trail: verify the chain, export records")
    audit_sub = audit.add_subparsers(dest="action", required=True)
    verify = audit_sub.add_parser("verify", help="check every record against its hash and the one before")
    verify.add_argument(
        "--head", help="the 'last hash' an earlier verify printed: fail when that record is gone (newest deleted)"
    )
    export = audit_sub.add_parser("export", help="write records as JSON lines or CSV")
    export.add_argument("--since", help="only records from this date (YYYY-MM-DD, UTC) on")
    export.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    export.add_argument("--out", type=Path, help="file to write (default: standard output)")


def run_admin_command(args: argparse.Namespace, settings: Callable[[], Any]) -> int:
    """Run one of the admin sub-commands; `settings` loads the Settings. Returns the exit code."""
    from assistant.db import Database

    try:
        db = Database.for_settings(settings())
    except AssistantError as exc:
        return report(exc)
    try:
        handler = {"users": _users, "collections": _collections, "groups": _groups, "audit": _audit}[args.command]
        return handler(args, db)
    except AssistantError as exc:
        return report(exc)
    except (KeyboardInterrupt, EOFError):  # Ctrl-C or Ctrl-D at the password prompt
        return print_error("stopped; nothing was changed.")
    finally:
        db.close()


def actor() -> str:
    """Who the audit names for changes made from this command line: `cli:<login name>`."""
    try:
        return "cli:" + getpass.getuser()
    except (KeyError, OSError):
        return "cli"


def read_password(from_stdin: bool) -> str:
    """A new password: the first line of stdin, or typed twice at a prompt that does not echo it."""
    if from_stdin:
        try:
            return sys.stdin.readline().rstrip("\r\n")
        except UnicodeDecodeError as exc:
            raise AssistantError("the password on standard input is not UTF-8 text.", "Pipe it in as UTF-8.") from exc
    if not sys.stdin.isatty():
        raise AssistantError("no terminal to ask for the password.", "Pipe it in with --password-stdin.")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise AssistantError("the two passwords differ.", "Run the command again.")
    return first


def _accounts(db: Database) -> Accounts:
    from assistant.accounts import Accounts

    return Accounts(db)


def _users(args: argparse.Namespace, db: Database) -> int:
    accounts, by = _accounts(db), actor()
    if args.action == "add":
        user = accounts.add_user(args.name, read_password(args.password_stdin), args.role, by=by)
        print(f"added {user.role} {user.name}")
    elif args.action == "list":
        users = accounts.users()
        if args.json:
            rows = [
                {
                    "name": u.name,
                    "role": u.role,
                    "disabled": u.disabled,
                    "groups": list(u.groups),
                    "created": u.created.isoformat(),
                }
                for u in users
            ]
            print(json.dumps(rows, indent=2))
        elif not users:
            print("no users: the app is open on loopback. Add one: python -m assistant users add NAME --role admin")
        for u in users if not args.json else ():
            status = "disabled" if u.disabled else "active"
            print(f"{u.name}\t{u.role}\t{status}\t{','.join(u.groups) or '-'}\t{u.created:%Y-%m-%d}")
    elif args.action == "disable":
        accounts.set_disabled(args.name, not args.enable, by=by)
        print(f"{'enabled' if args.enable else 'disabled'} {args.name}")
    elif args.action == "reset-password":
        accounts.reset_password(args.name, read_password(args.password_stdin), by=by)
        print(f"new password set for {args.name}")
    elif args.action == "role":
        accounts.set_role(args.name, args.role, by=by)
        print(f"{args.name} is now {args.role}")
    else:
        return _keys(args, accounts, by)
    return 0


def _keys(args: argparse.Namespace, accounts: Accounts, by: str) -> int:
    if args.list:
        for k in accounts.keys(args.name):
            print(f"{k.id}\t…{k.last4}\t{k.label or '-'}\t{k.created:%Y-%m-%d %H:%M}")
        return 0
    if args.revoke is not None:
        accounts.revoke_key(args.name, args.revoke, by=by)
        print(f"revoked key {args.revoke} of {args.name}")
        return 0
    key = accounts.create_key(args.name, args.label, by=by)
    print(key)
    print(
        f"(the API key of {args.name}: send it as `Authorization: Bearer <key>`; it is not shown again)",
        file=sys.stderr,
    )
    return 0


def _collections(args: argparse.Namespace, db: Database) -> int:
    accounts, by = _accounts(db), actor()
    if args.action == "add":
        accounts.add_collection(args.name, by=by)
        print(f"added collection {args.name} (only admins see it until you grant it)")
    elif args.action == "grant":
        accounts.grant(args.name, user=args.user, group=args.group, write=args.write, by=by)
        who = f"user {args.user}" if args.user else f"group {args.group}"
        print(f"{who} may {'read and change' if args.write else 'read'} {args.name}")
    elif args.action == "revoke":
        who = f"user {args.user}" if args.user else f"group {args.group}"
        if not accounts.revoke(args.name, user=args.user, group=args.group, by=by):
            return print_error(f"{who} had no grant on {args.name}.", "See them: python -m assistant collections list")
        print(f"{who} no longer has {args.name}")
    else:
        found = accounts.collections()
        if args.json:
            rows = [
                {
                    "name": c.name,
                    "grants": [{"user": g.user, "group": g.group, "write": g.write} for g in c.grants],
                }
                for c in found
            ]
            print(json.dumps(rows, indent=2))
            return 0
        for c in found:
            grants = ", ".join(f"{g.holder} ({'rw' if g.write else 'r'})" for g in c.grants)
            public = "everyone (r)" if c.name == "public" else ""
            print(f"{c.name}\t{', '.join(x for x in (public, grants) if x) or 'admins only'}")
    return 0


def _groups(args: argparse.Namespace, db: Database) -> int:
    accounts, by = _accounts(db), actor()
    if args.action == "add":
        accounts.add_group(args.name, by=by)
        print(f"added group {args.name}")
    elif args.action == "member":
        accounts.set_member(args.group, args.user, not args.remove, by=by)
        print(f"{args.user} {'left' if args.remove else 'is in'} {args.group}")
    else:
        for name, members in accounts.groups().items():
            print(f"{name}\t{', '.join(members) or '-'}")
    return 0


def _audit(args: argparse.Namespace, db: Database) -> int:
    from assistant.audit import AuditTrail, parse_since

    trail = AuditTrail(db)
    if args.action == "verify":
        result = trail.verify(getattr(args, "head", None))
        if not result.ok:
            print(f"audit chain broken: {result.problem}")
            print(f"({result.count} records before it are intact)")
            return 1
        print(f"{result.count} records, chain intact")
        print(f"last hash {result.head}")
        return 0
    since = parse_since(args.since) if args.since else None
    if args.out is None:
        try:
            count = trail.export(sys.stdout, args.format, since)
        except BrokenPipeError:  # `audit export | head`: the reader has all it wanted
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - so that the exit flush does not fail again
            return 0
    else:
        with args.out.open("w", encoding="utf-8", newline="") as out:
            count = trail.export(out, args.format, since)
    print(f"exported {count} record(s)" + (f" to {args.out}" if args.out else ""), file=sys.stderr)
    return 0
