"""Wires the services together: store, scheduler, watchers, inbound queue, signals."""

from __future__ import annotations

import asyncio
import functools
import gc
import logging
import signal
from datetime import datetime

from sqlalchemy import select

from followupd.approval.origin import DnsTxt
from followupd.clock import Clock, SystemClock
from followupd.config import LoadedConfig, MailboxSettings
from followupd.core.awaiting import resume_awaiting
from followupd.core.inbound import handle_delivery
from followupd.core.notify import mail_rep
from followupd.core.rebuild import arm_open_steps, rebuild_jobs
from followupd.core.runtime import MailboxRuntime, Runtime
from followupd.core.scheduler import WorkScheduler
from followupd.core.send_outcome import resume_outbox
from followupd.db.engine import Database
from followupd.db.hold import MailboxHold, hold_mailboxes
from followupd.db.migrate import upgrade
from followupd.errors import ConfigError
from followupd.imap.deliveries import Cursor, Delivery
from followupd.imap.watcher import ImapWatcher
from followupd.mail.dkim_sign import DkimSigner
from followupd.model import FolderCursor, Mailbox
from followupd.sdnotify import notify
from followupd.sequence.cadence import Cadence, load_cadences, validate_templates
from followupd.smtp.sender import SmtpSender
from followupd.templating.library import TemplateLibrary, default_template_dirs, load_library

log = logging.getLogger(__name__)


def load_content(cfg: LoadedConfig) -> tuple[TemplateLibrary, dict[str, Cadence]]:
    """Templates and cadences, checked against each other."""
    d = cfg.settings.daemon
    library = load_library([*default_template_dirs(), *d.template_dirs])
    cadences = load_cadences(d.cadence_file)
    problems = validate_templates(cadences, library)
    for mb in cfg.settings.mailbox:
        if mb.default_cadence not in cadences:
            problems.append(
                f"mailbox {mb.name}: default_cadence {mb.default_cadence!r} is not "
                f"one of {', '.join(sorted(cadences))}"
            )
    if problems:
        raise ConfigError(problems)
    return library, cadences


class Daemon:
    """One followupd process."""

    def __init__(
        self,
        cfg: LoadedConfig,
        clock: Clock | None = None,
        *,
        watch: bool = True,
        dns_txt: DnsTxt | None = None,
    ) -> None:
        self.cfg = cfg
        self._dns_txt = dns_txt
        self.clock = clock or SystemClock()
        self._watch = watch
        self._queue: asyncio.Queue[tuple[int, Delivery]] = asyncio.Queue()
        self._consumer: asyncio.Task[None] | None = None
        self._rearm: asyncio.Task[int] | None = None
        self._handling = False
        self.rt: Runtime | None = None
        self._hold = MailboxHold()

    async def start(self) -> Runtime:
        """Migrate, load, connect and arm; returns the shared runtime."""
        library, cadences = load_content(self.cfg)
        db = Database(self.cfg.settings.daemon.database_url)
        try:
            # Before anything else: a second daemon must not even migrate under the first.
            self._hold = await hold_mailboxes(db, [mb.name for mb in self.cfg.settings.mailbox])
            await upgrade(db)
        except BaseException:
            await self._hold.release()
            await db.close()
            raise
        scheduler = WorkScheduler(self.clock)
        rt = Runtime(
            config=self.cfg,
            db=db,
            clock=self.clock,
            scheduler=scheduler,
            library=library,
            cadences=cadences,
            drain=self._queue.join,
        )
        if self._dns_txt is not None:
            rt.dns_txt = self._dns_txt
        self.rt = rt
        loop = asyncio.get_running_loop()
        for mb in self.cfg.settings.mailbox:
            mailbox_id, cursors = await self._mailbox_row(db, mb.name, mb.rep_address)
            runtime = MailboxRuntime(
                settings=mb,
                mailbox_id=mailbox_id,
                sender=SmtpSender(mb.smtp, self.cfg.password(mb.name, "smtp")),
                rep_sender=SmtpSender(mb.smtp, self.cfg.password(mb.name, "smtp")),
                signer=self._signer(mb),
            )
            if self._watch:
                runtime.watcher = ImapWatcher(
                    name=mb.name,
                    settings=mb.imap,
                    password=self.cfg.password(mb.name, "imap"),
                    cursors=cursors,
                    deliver=functools.partial(self._deliver, loop, mailbox_id),
                )
            rt.mailboxes[mailbox_id] = runtime
        scheduler.start()
        in_doubt = await rebuild_jobs(rt)
        self._consumer = asyncio.create_task(self._consume(rt), name="inbound")
        for runtime in rt.mailboxes.values():
            if runtime.watcher is not None:
                runtime.watcher.start()
        await self._first_pass()
        # After the first pass: the Sent folders are known by then, and any reply that came
        # while the daemon was down has been processed.
        await resume_awaiting(rt)
        await resume_outbox(rt)
        for mailbox in rt.mailboxes.values():
            for _thread_id, subject in in_doubt:
                await mail_rep(
                    rt,
                    mailbox,
                    kind="notice",
                    subject=f"Check: {subject}",
                    text="followupd stopped while sending a follow-up on this thread "
                    "and cannot tell whether it went out. It will not resend "
                    "it; please check your Sent folder.\n",
                )
        return rt

    async def _first_pass(self, limit: float = 30.0) -> None:
        """Wait (bounded) until each watcher has looked at its folders once.

        Until then "new mail" is not defined for a folder seen for the first time; being
        ready only after it means that mail arriving once the daemon says READY is processed.
        An unreachable server does not block the start: its watcher keeps retrying.
        """
        assert self.rt is not None
        for mb in self.rt.mailboxes.values():
            if mb.watcher is not None and not await asyncio.to_thread(
                mb.watcher.first_pass.wait, limit
            ):
                log.warning("mailbox %s: IMAP not reachable yet; starting anyway", mb.settings.name)

    def _deliver(self, loop: asyncio.AbstractEventLoop, mailbox_id: int, item: Delivery) -> None:
        # Called on the watcher's thread: hand over to the event loop's queue.
        loop.call_soon_threadsafe(self._queue.put_nowait, (mailbox_id, item))

    async def _mailbox_row(
        self, db: Database, name: str, address: str
    ) -> tuple[int, dict[str, Cursor]]:
        async with db.transaction() as session:
            row = await session.scalar(select(Mailbox).where(Mailbox.name == name))
            if row is None:
                row = Mailbox(name=name, rep_address=address, created_at=self.clock.now())
                session.add(row)
                await session.flush()
            cursors = {
                c.folder: Cursor(uidvalidity=c.uidvalidity, last_uid=c.last_uid)
                for c in await session.scalars(
                    select(FolderCursor).where(FolderCursor.mailbox_id == row.id)
                )
            }
            return row.id, cursors

    async def _consume(self, rt: Runtime) -> None:
        while True:
            mailbox_id, item = await self._queue.get()
            self._handling = True
            try:
                await handle_delivery(rt, rt.mailboxes[mailbox_id], item)
            except Exception:  # handle_delivery already quarantines; this is the last guard
                log.exception("inbound processing failed")
            finally:
                self._handling = False
                self._queue.task_done()

    def quiet(self) -> bool:
        """True when no fetched message waits and no job runs (for the demo and tests)."""
        rt = self.rt
        return (
            self._queue.empty()
            and (rt is None or not rt.scheduler.busy)
            and (
                self._queue._unfinished_tasks == 0  # type: ignore[attr-defined]
            )
        )

    def next_due(self) -> datetime | None:
        """The earliest armed job's instant."""
        if self.rt is None:
            return None
        armed = self.rt.scheduler.armed()
        return min(armed.values()) if armed else None

    def reload(self) -> None:
        """SIGHUP: re-read templates and cadences; mailbox changes need a restart."""
        if self.rt is None:
            return
        try:
            library, cadences = load_content(self.cfg)
        except Exception as exc:
            log.error("reload refused, keeping the loaded templates and cadences: %s", exc)
            return
        self.rt.library, self.rt.cadences = library, cadences
        log.info("reloaded %d templates and %d cadences", len(library.ids()), len(cadences))
        # Corrections made meanwhile (followupd thread set) may have moved steps.
        self._rearm = asyncio.get_running_loop().create_task(arm_open_steps(self.rt))

    def _signer(self, mb: MailboxSettings) -> DkimSigner | None:
        if mb.dkim is None:
            return None
        key = self.cfg.secrets.get(f"mailbox.{mb.name}.dkim.key").encode()
        return DkimSigner(mb.dkim, key, rep_address=mb.rep_address)

    async def stop(self) -> None:
        """Stop watching, let in-flight work finish, close the store."""
        rt = self.rt
        if rt is None:
            return
        await asyncio.gather(
            *(asyncio.to_thread(m.watcher.stop) for m in rt.mailboxes.values() if m.watcher)
        )
        try:
            await asyncio.wait_for(self._queue.join(), 30)
        except TimeoutError:
            log.warning("stopping with unprocessed messages; they are fetched again next start")
        if self._consumer is not None:
            self._consumer.cancel()
            await asyncio.gather(self._consumer, return_exceptions=True)
        rt.scheduler.shutdown()
        # Wait (bounded) for a running job, e.g. an SMTP transaction, to finish.
        for _ in range(300):
            if not rt.scheduler.busy:
                break
            await asyncio.sleep(0.1)
        for mb in rt.mailboxes.values():
            await mb.sender.close()
            await mb.rep_sender.close()
        await self._hold.release()
        await rt.db.close()
        self.rt = None


async def run_forever(cfg: LoadedConfig) -> None:
    """``followupd run``: start, tell systemd, serve until SIGTERM/SIGINT, drain, stop."""
    daemon = Daemon(cfg)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    loop.add_signal_handler(signal.SIGHUP, daemon.reload)
    # What is loaded by now (SQLAlchemy, Alembic, the config) lives as long as the process:
    # kept out of the collector, full collections stay short while a big folder is indexed.
    gc.freeze()
    await daemon.start()
    notify("READY=1\nSTATUS=watching " + ", ".join(m.name for m in cfg.settings.mailbox))
    log.info("followupd running")
    await stop.wait()
    notify("STOPPING=1")
    log.info("followupd stopping")
    await daemon.stop()
