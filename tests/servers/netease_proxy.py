"""A loopback proxy that makes any IMAP server behave like NetEase's about the ID command.

NetEase's (Coremail) servers refuse SELECT and EXAMINE with "Unsafe Login" until the client
has identified itself with ID (RFC 2971). Put in front of a real server (the embedded pymap,
or Dovecot), this proxy does the same: it lists ID among the server's capabilities, answers
ID itself and remembers it, and refuses SELECT/EXAMINE sent before ID without passing them
on. Everything else goes through byte for byte, literals included in both directions.

It serves on a free port of 127.0.0.1 from an event loop in its own thread, and stops by
itself after ``lifetime`` seconds if nobody calls ``stop()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
from types import TracebackType

__all__ = ["UNSAFE_LOGIN", "NeteaseProxy"]

UNSAFE_LOGIN = b"Unsafe Login. Please contact kefu@188.com for help"
_SERVER_ID = b'* ID ("name" "Coremail Imap" "vendor" "Mailtech" "TransID" "followupd-test")\r\n'
# Server lines as long as a SEARCH over tens of thousands of UIDs must fit in one read.
_LINE_LIMIT = 16 * 1024 * 1024
_LITERAL = re.compile(rb"\{(\d+)(\+?)\}\r?\n\Z")
_CAPABILITY_CODE = re.compile(
    rb"\A(\S+ (?:OK|PREAUTH) \[CAPABILITY )([^\]]*)(\].*)\Z", re.DOTALL | re.IGNORECASE
)


def _literal(line: bytes) -> tuple[int, bool] | None:
    """``(size, synchronizing)`` when ``line`` ends with a literal's announcement."""
    m = _LITERAL.search(line)
    return None if m is None else (int(m.group(1)), not m.group(2))


class NeteaseProxy:
    """Start, point a client at ``port``, stop; or use it as a context manager."""

    def __init__(
        self,
        upstream_host: str,
        upstream_port: int,
        *,
        advertise_id: bool = True,
        refuse_id: bool = False,
        lifetime: float = 120.0,
    ) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.host = "127.0.0.1"
        self.port = 0
        # False: take ID out of the capabilities instead, like a server that accepts ID
        # without saying so.
        self.advertise_id = advertise_id
        # True: answer ID with BAD, like a server that does not know the command.
        self.refuse_id = refuse_id
        self.lifetime = lifetime
        # What clients did, for the tests to look at.
        self.connections = 0
        self.ids: list[bytes] = []
        self.refused: list[bytes] = []
        self._lock = threading.Condition()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._thread = threading.Thread(target=self._run, name="netease-proxy", daemon=True)

    def start(self) -> None:
        self._thread.start()
        if not self._ready.wait(10) or self._error is not None:
            raise RuntimeError(f"IMAP proxy did not start: {self._error}")

    def stop(self) -> None:
        if self._loop is not None and self._stopping is not None:
            # The loop may already have ended (lifetime over).
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join(10)

    def __enter__(self) -> NeteaseProxy:
        self.start()
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def wait_refused(self, count: int, timeout: float) -> bool:
        """Wait until ``count`` commands in all were refused; False when time ran out first."""
        with self._lock:
            return self._lock.wait_for(lambda: len(self.refused) >= count, timeout)

    # -- the proxy's thread -------------------------------------------------------------

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported to start()
            self._error = exc
            self._ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        server = await asyncio.start_server(self._serve, self.host, 0, limit=_LINE_LIMIT)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        async with server:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.lifetime)
            server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _serve(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        with self._lock:
            self.connections += 1
        try:
            up_r, up_w = await asyncio.wait_for(
                asyncio.open_connection(*self.upstream, limit=_LINE_LIMIT), 10
            )
        except (OSError, TimeoutError):
            client_w.close()
            self._tasks.discard(task)
            return
        try:
            await _Session(self, client_r, client_w, up_r, up_w).run()
        finally:
            for w in (client_w, up_w):
                w.close()
            self._tasks.discard(task)

    def _remember_id(self, args: bytes) -> None:
        with self._lock:
            self.ids.append(args)

    def _remember_refusal(self, line: bytes) -> None:
        with self._lock:
            self.refused.append(line)
            self._lock.notify_all()


class _Session:
    """One client connection and its own connection to the real server."""

    def __init__(
        self,
        proxy: NeteaseProxy,
        client_r: asyncio.StreamReader,
        client_w: asyncio.StreamWriter,
        up_r: asyncio.StreamReader,
        up_w: asyncio.StreamWriter,
    ) -> None:
        self.proxy = proxy
        self.client_r, self.client_w = client_r, client_w
        self.up_r, self.up_w = up_r, up_w
        self.identified = False
        # Held while a whole response goes to the client, so that a reply of the proxy's own
        # never lands inside a server response (between a literal and the rest of its line).
        self.to_client = asyncio.Lock()

    async def run(self) -> None:
        # Either side closing (or failing) ends the session.
        pumps = {
            asyncio.create_task(self._server_to_client()),
            asyncio.create_task(self._client_to_server()),
        }
        try:
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in pumps:
                task.cancel()
            await asyncio.gather(*pumps, return_exceptions=True)

    # -- server to client ---------------------------------------------------------------

    async def _server_to_client(self) -> None:
        while line := await self.up_r.readline():
            async with self.to_client:
                self.client_w.write(self._capabilities(line))
                # Literal data and the rest of the line after it are not responses of their
                # own; they go through untouched.
                while (lit := _literal(line)) is not None:
                    self.client_w.write(await self.up_r.readexactly(lit[0]))
                    line = await self.up_r.readline()
                    self.client_w.write(line)
                await self.client_w.drain()

    def _capabilities(self, line: bytes) -> bytes:
        if line[:13].upper() == b"* CAPABILITY ":
            return line[:13] + self._edit(line[13:].rstrip(b"\r\n")) + b"\r\n"
        m = _CAPABILITY_CODE.match(line)
        if m is not None:
            return m.group(1) + self._edit(m.group(2)) + m.group(3)
        return line

    def _edit(self, caps: bytes) -> bytes:
        names = [c for c in caps.split() if c.upper() != b"ID"]
        if self.proxy.advertise_id:
            names.append(b"ID")
        return b" ".join(names)

    # -- client to server ---------------------------------------------------------------

    async def _client_to_server(self) -> None:
        while line := await self.client_r.readline():
            parts = line.rstrip(b"\r\n").split(b" ", 2)
            tag = parts[0]
            command = parts[1].upper() if len(parts) > 1 else b""
            if command == b"ID":
                whole = await self._whole_command(line)
                if self.proxy.refuse_id:
                    await self._reply(tag + b" BAD Unknown command\r\n")
                    continue
                self.identified = True
                self.proxy._remember_id(whole[len(tag) + 4 :].rstrip(b"\r\n"))
                await self._reply(_SERVER_ID + tag + b" OK ID completed\r\n")
            elif command in (b"SELECT", b"EXAMINE") and not self.identified:
                whole = await self._whole_command(line)
                self.proxy._remember_refusal(whole)
                await self._reply(tag + b" NO " + command + b" " + UNSAFE_LOGIN + b"\r\n")
            else:
                await self._forward(line)

    async def _forward(self, line: bytes) -> None:
        # The server asks for a synchronizing literal itself ("+ ..."), which reaches the
        # client through the other direction; here the bytes only need passing on.
        self.up_w.write(line)
        while (lit := _literal(line)) is not None:
            self.up_w.write(await self.client_r.readexactly(lit[0]))
            line = await self.client_r.readline()
            self.up_w.write(line)
        await self.up_w.drain()

    async def _whole_command(self, line: bytes) -> bytes:
        """Read the rest of a command the proxy answers itself, literals included."""
        whole = line
        while (lit := _literal(line)) is not None:
            size, synchronizing = lit
            if synchronizing:
                await self._reply(b"+ Ready for additional command text\r\n")
            whole += await self.client_r.readexactly(size)
            line = await self.client_r.readline()
            whole += line
        return whole

    async def _reply(self, data: bytes) -> None:
        async with self.to_client:
            self.client_w.write(data)
            await self.client_w.drain()
