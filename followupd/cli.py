"""Command line: parse arguments, call into the package, turn errors into exit codes."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from followupd import __version__
from followupd.config import LoadedConfig, load_config, summary
from followupd.config.load import redact_url
from followupd.errors import FollowupdError

log = logging.getLogger("followupd")

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="followupd", description=__doc__)
    p.add_argument("--version", action="version", version=f"followupd {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run the daemon in the foreground")
    run.add_argument("--config", type=Path, required=True, help="path of the TOML config")

    check = sub.add_parser("check-config", help="validate a config file and show a summary")
    check.add_argument("config", type=Path)

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    up = db_sub.add_parser("upgrade", help="apply the schema migrations")
    up.add_argument("--config", type=Path, required=True)

    threads = sub.add_parser("threads", help="list tracked threads")
    threads.add_argument("--config", type=Path, required=True)

    thread = sub.add_parser("thread", help="work on one tracked thread")
    thread_sub = thread.add_subparsers(dest="thread_command", required=True)
    tset = thread_sub.add_parser(
        "set", help="correct a thread's facts: validity, amount, incoterm, payment, ..."
    )
    tset.add_argument("thread_id", type=int, metavar="ID")
    tset.add_argument("items", nargs="+", metavar="KEY=VALUE")
    tset.add_argument("--config", type=Path, required=True)
    tpaid = thread_sub.add_parser(
        "paid", help="the buyer paid: move the thread to the after-payment cadence"
    )
    tpaid.add_argument("thread_id", type=int, metavar="ID")
    tpaid.add_argument(
        "--on", type=date.fromisoformat, metavar="YYYY-MM-DD", help="the day the money arrived"
    )
    tpaid.add_argument("--config", type=Path, required=True)

    cc = sub.add_parser(
        "command-check", help="would a raw reply be obeyed as a command? (changes nothing)"
    )
    cc.add_argument("file", type=Path, metavar="FILE", help="the reply, as a raw .eml file")
    cc.add_argument("--db", metavar="URL", help="the database with the drafts (or --config)")
    cc.add_argument("--config", type=Path, help="secret, trusted authserv-ids and database")
    cc.add_argument(
        "--dns",
        action="append",
        default=[],
        metavar="NAME=TXT",
        help="a TXT record for DKIM instead of DNS, e.g. s1._domainkey.example.com=@key.txt",
    )
    cc.add_argument("--json", action="store_true", help="print one JSON object")

    cls = sub.add_parser("classify", help="classify .eml files; one JSON line per file")
    cls.add_argument("files", nargs="+", type=Path, metavar="FILE")
    cls.add_argument("--db", metavar="URL", help="match replies against this database's threads")
    cls.add_argument(
        "--rep",
        action="append",
        default=[],
        metavar="ADDRESS",
        help="a rep's address, to recognise commands and enrollments (repeatable)",
    )

    when = sub.add_parser("when", help="when a follow-up to a buyer would be sent, and why")
    when.add_argument("--to", required=True, metavar="ADDRESS", help="the buyer's address")
    when.add_argument("--country", metavar="CC", help="the buyer's country (ISO code)")
    when.add_argument("--tz", metavar="ZONE", help="the buyer's timezone, if known")
    when.add_argument("--after", metavar="ISO", help="the step's earliest moment (default: now)")
    when.add_argument("--now", metavar="ISO", help="the planning clock (default: --after)")
    when.add_argument("--slack", default="0", help="how much later it may go: 3d, 36h, ...")
    when.add_argument("--seed", type=int, help="seed of the random pick (default: from input)")
    when.add_argument("--signature", metavar="TEXT", help="their signature (a phone number)")
    when.add_argument(
        "--date-header",
        dest="header_dates",
        action="append",
        default=[],
        metavar="DATE",
        help="the Date header of one of their mails (repeatable)",
    )
    when.add_argument("--rep-tz", metavar="ZONE", help="the rep's timezone")
    when.add_argument(
        "--hours", metavar="HH:MM-HH:MM", help="the buyer's own working hours (local)"
    )
    when.add_argument("--config", type=Path, help="working hours, timing, closures, mailbox")
    when.add_argument("--json", action="store_true", help="print one JSON object")

    demo = sub.add_parser("demo", help="the whole loop on embedded servers and a simulated clock")
    demo.add_argument("--quiet", action="store_true", help="print only the timeline")

    tpl = sub.add_parser("templates", help="check and preview the follow-up templates")
    tpl_sub = tpl.add_subparsers(dest="templates_command", required=True, metavar="ACTION")
    lint = tpl_sub.add_parser("lint", help="report template problems as file:line; exit 1 if any")
    lint.add_argument(
        "dirs",
        nargs="*",
        type=Path,
        metavar="DIR",
        help="template dirs (default: the shipped ones)",
    )
    lint.add_argument("--config", type=Path, help="also check this config's template_dirs")
    preview = tpl_sub.add_parser("preview", help="print a template rendered for a thread")
    preview.add_argument("template_id", metavar="ID")
    preview.add_argument("--lang", metavar="LANG", help="language, e.g. de (default: the buyer's)")
    source = preview.add_mutually_exclusive_group()
    source.add_argument("--sample", action="store_true", help="the sample thread (the default)")
    source.add_argument("--thread", type=int, metavar="N", help="thread N (needs --config)")
    preview.add_argument("--config", type=Path, help="config: database, profile, template_dirs")
    preview.add_argument(
        "--dir",
        dest="dirs",
        action="append",
        type=Path,
        default=[],
        metavar="DIR",
        help="use these template dirs instead of the shipped and configured ones (repeatable)",
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``followupd`` command."""
    args = _parser().parse_args(argv)
    try:
        return _dispatch(args)
    except FollowupdError as exc:
        print(f"followupd: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except (SQLAlchemyError, OSError) as exc:
        # At start-up these mean the database cannot be reached or opened: say which and why,
        # without a traceback (and without the password of its URL).
        url = getattr(args, "_database_url", None)
        where = f" {redact_url(url)}" if url else ""
        print(f"followupd: cannot use the database{where}: {_first_line(exc)}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_ERROR


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "check-config":
        return _check_config(args.config)
    if args.command == "classify":
        from followupd.commands.classify import classify_files

        return asyncio.run(classify_files(args.files, db_url=args.db, reps=args.rep))
    if args.command == "demo":
        from followupd.demo.scenario import run_demo

        return asyncio.run(run_demo(verbose=not args.quiet))
    if args.command == "templates":
        return _templates(args)
    if args.command == "when":
        return _when(args)
    if args.command == "command-check":
        return _command_check(args)
    cfg = load_config(args.config)
    args._database_url = cfg.settings.daemon.database_url
    _setup_logging(cfg)
    if args.command == "run":
        from followupd.daemon import run_forever

        asyncio.run(run_forever(cfg))
        return EXIT_OK
    if args.command == "db":
        asyncio.run(_db_upgrade(cfg))
        return EXIT_OK
    if args.command == "threads":
        asyncio.run(_threads(cfg))
        return EXIT_OK
    if args.command == "thread":
        from followupd.commands.thread import paid_thread, set_thread

        if args.thread_command == "paid":
            return asyncio.run(paid_thread(cfg, args.thread_id, on=args.on))
        return asyncio.run(set_thread(cfg, args.thread_id, args.items))
    return EXIT_USAGE


def _command_check(args: argparse.Namespace) -> int:
    from followupd.commands.command_check import CheckRequest, command_check, parse_dns

    try:
        dns = parse_dns(args.dns)
    except FollowupdError as exc:
        print(f"followupd: {exc}", file=sys.stderr)
        return EXIT_USAGE
    cfg = load_config(args.config) if args.config else None
    if cfg is not None:
        args._database_url = args.db or cfg.settings.daemon.database_url
    request = CheckRequest(file=args.file, db_url=args.db, config=cfg, dns=dns, as_json=args.json)
    return asyncio.run(command_check(request))


def _templates(args: argparse.Namespace) -> int:
    from followupd.commands import templates

    if args.templates_command == "lint":
        return templates.lint(args.dirs, args.config)
    request = templates.PreviewRequest(
        template_id=args.template_id,
        language=args.lang,
        thread_id=args.thread,
        config=args.config,
        dirs=args.dirs,
    )
    return asyncio.run(templates.preview(request))


def _when(args: argparse.Namespace) -> int:
    from followupd.commands.when import WhenRequest, when

    request = WhenRequest(
        to=args.to,
        country=args.country,
        tz=args.tz,
        after=args.after,
        now=args.now,
        slack=args.slack,
        seed=args.seed,
        signature=args.signature,
        header_dates=tuple(args.header_dates),
        rep_tz=args.rep_tz,
        hours=args.hours,
        config=args.config,
        as_json=args.json,
    )
    return when(request)


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)  # SQLAlchemy wraps the driver's error
    text = str(orig if orig is not None else exc).strip().splitlines()
    return f"{type(orig or exc).__name__}: {text[0] if text else ''}"[:300]


def _setup_logging(cfg: LoadedConfig) -> None:
    logging.basicConfig(
        level=cfg.settings.daemon.log_level,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # The scheduler logs every job at INFO; that is noise in a daemon's journal.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def _check_config(path: Path) -> int:
    from followupd.daemon import load_content
    from followupd.mail.dkim_sign import DkimSigner, dns_record

    cfg = load_config(path)
    library, cadences = load_content(cfg)
    print(summary(cfg))
    for mb in cfg.settings.mailbox:
        if mb.dkim is None:
            continue
        # The key was checked while loading; what the admin still has to do is publish it.
        key = cfg.secrets.get(f"mailbox.{mb.name}.dkim.key").encode()
        signer = DkimSigner(mb.dkim, key, rep_address=mb.rep_address)
        print(f"mailbox {mb.name}: DKIM {signer.algorithm}; publish this TXT record:")
        print(f"  {signer.dns_name} TXT {dns_record(signer)}")
    print(f"templates: {len(library.ids())}; cadences: {', '.join(sorted(cadences))}")
    print("config OK")
    return EXIT_OK


async def _db_upgrade(cfg: LoadedConfig) -> None:
    from followupd.db.engine import Database
    from followupd.db.migrate import current_revision, upgrade

    db = Database(cfg.settings.daemon.database_url)
    try:
        await upgrade(db)
        print(f"database at revision {await current_revision(db)}")
    finally:
        await db.close()


async def _threads(cfg: LoadedConfig) -> None:
    from sqlalchemy import select

    from followupd.db.engine import Database
    from followupd.db.migrate import upgrade
    from followupd.model import Contact, Thread

    db = Database(cfg.settings.daemon.database_url)
    try:
        await upgrade(db)
        async with db.transaction() as session:
            rows = (
                await session.execute(
                    select(Thread, Contact)
                    .join(Contact, Contact.id == Thread.contact_id)
                    .order_by(Thread.id)
                )
            ).all()
        print(f"{'id':>4}  {'state':<10} {'cadence':<9} {'steps':>5}  {'buyer':<32} subject")
        for thread, contact in rows:
            print(
                f"{thread.id:>4}  {thread.state:<10} {thread.cadence:<9} "
                f"{thread.steps_done:>5}  {contact.email:<32} {thread.subject}"
            )
    finally:
        await db.close()
