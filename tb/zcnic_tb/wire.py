"""A WebSocket client driven in the calling thread: websockets' Sans-I/O ClientProtocol over a
plain blocking socket.

Why not websockets.sync: its reader thread has to win the GIL back from the simulator thread (cocotb
never releases it while Verilator runs), which costs 4-6x per round trip (toolchain.md section 9).
Here every byte moves in the caller's thread, and every blocking call has a wall-clock timeout,
because cocotb's own timeouts count simulated time and would never fire while we block.
"""

from __future__ import annotations

import socket
import time
from collections import deque
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from websockets.client import ClientProtocol
from websockets.exceptions import InvalidStatus, PayloadTooBig
from websockets.frames import Opcode
from websockets.protocol import State
from websockets.uri import parse_uri

from .codec import BridgeError
from .protocol import ERR as E

RECV_CHUNK = 1 << 18


def with_token(url: str, token: str | None) -> str:
    if not token:
        return url
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "token"]
    query.append(("token", token))
    return urlunsplit(parts._replace(query=urlencode(query, quote_via=quote)))


def redact(url: str) -> str:
    """The URL without its token, for messages."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    query = [(k, "***" if k == "token" else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return urlunsplit(parts._replace(query=urlencode(query)))


class WsClient:
    """One binary-message WebSocket connection. recv() returns whole binary messages."""

    def __init__(self, url: str, *, token: str | None = None, timeout: float = 30.0, max_frame: int = 16 << 20):
        self.url = with_token(url, token)
        self.timeout = float(timeout)
        self.max_frame = int(max_frame)
        self.sock: socket.socket | None = None
        self.proto: ClientProtocol | None = None
        # binary messages and, in frame order, the fault a bad frame raises when its turn comes
        self._msgs: deque[bytes | BridgeError] = deque()
        self._frag: list[bytes] | None = None
        self._fault: BridgeError | None = None  # raised once the queued messages are consumed
        self.bytes_sent = 0
        self.bytes_received = 0

    # -- connection -----------------------------------------------------------------------------

    def connect(self) -> None:
        try:
            uri = parse_uri(self.url)
        except Exception as exc:
            raise BridgeError(E["PEER_GONE"], f"bad URL {redact(self.url)}: {exc}") from None
        if uri.secure:
            raise BridgeError(E["PEER_GONE"], f"wss:// is not supported: {redact(self.url)}")
        try:
            self.sock = socket.create_connection((uri.host, uri.port), timeout=self.timeout)
        except socket.timeout:
            raise BridgeError(E["TIMEOUT"], f"no TCP connection to {uri.host}:{uri.port} within {self.timeout:g} s") from None
        except OSError as exc:
            raise BridgeError(E["PEER_GONE"], f"cannot connect to {redact(self.url)}: {exc.strerror or exc}") from None
        # Small frames must leave at once: Nagle would hold a batch until the peer's delayed ACK.
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # No extensions offered, so no permessage-deflate.
        self.proto = ClientProtocol(uri, max_size=self.max_frame)
        self.proto.send_request(self.proto.connect())
        self._flush()
        deadline = time.monotonic() + self.timeout
        while self.proto.state is State.CONNECTING:
            if self.proto.handshake_exc is not None:
                break
            self._read_some(deadline, "the WebSocket handshake response")
        exc = self.proto.handshake_exc
        if exc is not None:
            if isinstance(exc, InvalidStatus):
                status = exc.response.status_code
                if status in (401, 403):
                    raise BridgeError(E["AUTH"], f"host refused the connection: HTTP {status} (missing or wrong token)")
                raise BridgeError(E["PEER_GONE"], f"host refused the WebSocket handshake: HTTP {status} {exc.response.reason_phrase}")
            raise BridgeError(E["PEER_GONE"], f"WebSocket handshake failed: {exc}")
        # The handshake Response event is not a message.
        self._drain_events()

    # -- I/O ------------------------------------------------------------------------------------

    def _flush(self) -> None:
        assert self.proto is not None and self.sock is not None
        for chunk in self.proto.data_to_send():
            if not chunk:  # b"" means "half-close" in the Sans-I/O API
                try:
                    self.sock.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                continue
            try:
                self.sock.settimeout(self.timeout)
                self.sock.sendall(chunk)
            except socket.timeout:
                raise BridgeError(E["TIMEOUT"], f"host did not accept data for {self.timeout:g} s") from None
            except OSError as exc:
                raise BridgeError(E["PEER_GONE"], f"connection lost while sending: {exc.strerror or exc}") from None
            self.bytes_sent += len(chunk)

    def _read_some(self, deadline: float, waiting_for: str, limit: float | None = None) -> None:
        assert self.proto is not None and self.sock is not None
        left = deadline - time.monotonic()
        quiet = f"host said nothing for {self.timeout if limit is None else limit:.3g} s while waiting for {waiting_for}"
        if left <= 0:
            raise BridgeError(E["TIMEOUT"], quiet)
        try:
            self.sock.settimeout(left)
            data = self.sock.recv(RECV_CHUNK)
        except socket.timeout:
            raise BridgeError(E["TIMEOUT"], quiet) from None
        except OSError as exc:
            raise BridgeError(E["PEER_GONE"], f"connection lost while waiting for {waiting_for}: {exc.strerror or exc}") from None
        if data:
            self.bytes_received += len(data)
            self.proto.receive_data(data)
        else:
            self.proto.receive_eof()
            if self.proto.state is not State.CONNECTING and self._fault is None:
                self._fault = BridgeError(E["PEER_GONE"], f"host closed the connection without BYE or ERROR while waiting for {waiting_for}")
        self._drain_events()
        pexc = self.proto.parser_exc
        if pexc is not None and self._fault is None:
            if isinstance(pexc, PayloadTooBig):
                self._fault = BridgeError(E["OVERSIZE"], f"host sent a frame larger than max_frame ({self.max_frame} bytes): {pexc}")
            elif isinstance(pexc, EOFError):
                self._fault = BridgeError(E["PEER_GONE"], f"host closed the connection without BYE or ERROR while waiting for {waiting_for}")
            else:
                self._fault = BridgeError(E["MALFORMED"], f"WebSocket protocol error from host: {pexc}")
        try:
            self._flush()  # pongs, close echo
        except BridgeError:
            pass

    def _drain_events(self) -> None:
        assert self.proto is not None
        for ev in self.proto.events_received():
            op = getattr(ev, "opcode", None)
            if op is None:  # the handshake Response
                continue
            if op is Opcode.BINARY:
                if ev.fin:
                    self._msgs.append(ev.data)
                else:
                    self._frag = [ev.data]
            elif op is Opcode.CONT:
                if self._frag is not None:
                    self._frag.append(ev.data)
                    if ev.fin:
                        self._msgs.append(b"".join(self._frag))
                        self._frag = None
                # a continuation of a text message is dropped: the text frame already faulted
            elif op is Opcode.TEXT:
                # queued, not raised at once: binary frames that came before it are read first
                self._msgs.append(BridgeError(E["MALFORMED"], f"host sent a text frame ({len(ev.data)} bytes); only binary frames are allowed"))
            elif op is Opcode.CLOSE:
                if self._fault is None:
                    rcvd = self.proto.close_rcvd
                    why = f" (close code {rcvd.code}{', ' + rcvd.reason if rcvd and rcvd.reason else ''})" if rcvd else ""
                    self._fault = BridgeError(E["PEER_GONE"], f"host closed the WebSocket without BYE or ERROR{why}")
            # PING is answered by the protocol object; PONG needs nothing

    def recv(self, waiting_for: str = "a frame", timeout: float | None = None) -> bytes:
        """The next binary message; raises BridgeError on timeout, close, or a bad frame."""
        if self._msgs:
            return self._next()
        limit = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        while not self._msgs:
            if self._fault is not None:
                raise self._fault
            if self.sock is None:
                raise BridgeError(E["PEER_GONE"], "connection already closed")
            self._read_some(deadline, waiting_for, limit)
        return self._next()

    def _next(self) -> bytes:
        item = self._msgs.popleft()
        if isinstance(item, BridgeError):
            self._fault = item
            raise item
        return item

    def send(self, data: bytes) -> None:
        assert self.proto is not None
        if self.proto.state is not State.OPEN:
            raise self._fault or BridgeError(E["PEER_GONE"], "connection is not open")
        self.proto.send_binary(data)
        self._flush()

    def send_text(self, text: str) -> None:
        """Only for fault injection (nosim --inject text_frame)."""
        assert self.proto is not None
        self.proto.send_text(text.encode())
        self._flush()

    @property
    def is_open(self) -> bool:
        return self.proto is not None and self.proto.state is State.OPEN and self.sock is not None

    def close(self, linger: float = 1.0) -> None:
        """Orderly close: close frame, then wait (briefly) for the host to close TCP, so that what we
        sent last (BYE/ERROR) is not lost to a reset caused by unread data."""
        if self.sock is None:
            return
        try:
            if self.proto is not None and self.proto.state is State.OPEN:
                self.proto.send_close(1000)
                self._flush()
                self.sock.shutdown(socket.SHUT_WR)
            deadline = time.monotonic() + min(linger, self.timeout)
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.sock.settimeout(left)
                if not self.sock.recv(RECV_CHUNK):
                    break
        except (OSError, BridgeError):
            pass
        finally:
            self.abort()

    def abort(self) -> None:
        """Drop the TCP connection without a close frame."""
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
            self.sock = None
