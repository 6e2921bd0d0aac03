"""Frame encoding and validation for bridge protocol v2 (docs/bridge-protocol.md).

Every frame from the host is checked here against the generated schema (protocol.MSG) before the
link or the testbench looks at it, so a bad frame fails with a protocol error code and a message
that names the frame, the message index, the field and its value. This is the hot path: the
per-code validators are built once at import time.
"""

from __future__ import annotations

from typing import Any, Callable

import msgpack

from . import protocol as P

E = P.ERR
FRAME = P.FRAME
FRAME_NAME = {v: k for k, v in FRAME.items()}
HELLO, WELCOME, BATCH, ERROR, BYE = (FRAME[k] for k in ("HELLO", "WELCOME", "BATCH", "ERROR", "BYE"))

U32_MAX = 0xFFFF_FFFF
U64_MAX = 0xFFFF_FFFF_FFFF_FFFF

# Message codes by name, for the rest of the package (no duplicated numbers).
CODE = {name: spec[0] for name, spec in P.MSG.items()}


class BridgeError(Exception):
    """A protocol fault: `code` is one of protocol.ERR's values (e.g. 'E_BAD_FIELD')."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def show(v: Any, limit: int = 48) -> str:
    """A short, typed rendering of a value for error messages."""
    if type(v) is bytes:
        s = f"bin[{len(v)}]"
    else:
        r = repr(v)
        s = f"{type(v).__name__} {r if len(r) <= limit else r[:limit] + '...'}"
    return s


# Field checks. `type(v) is int` on purpose: a msgpack bool must not pass as an integer.
def _u32(v: Any) -> bool:
    return type(v) is int and 0 <= v <= U32_MAX


def _u64(v: Any) -> bool:
    return type(v) is int and 0 <= v <= U64_MAX


def _bin(v: Any) -> bool:
    return type(v) is bytes


def _str(v: Any) -> bool:
    return type(v) is str


_CHECK: dict[str, Callable[[Any], bool]] = {"u32": _u32, "u64": _u64, "bin": _bin, "str": _str}

Limit = Callable[[Any], "str | None"]


def limit_violation(v: Any, lim: dict) -> str | None:
    """Why a well-typed value breaks its range rule (protocol.LIMITS), or None."""
    if type(v) is bytes:
        if "minBytes" in lim and len(v) < lim["minBytes"]:
            return f"is {len(v)} bytes, at least {lim['minBytes']} allowed"
        if "maxBytes" in lim and len(v) > lim["maxBytes"]:
            return f"is {len(v)} bytes, at most {lim['maxBytes']} allowed"
        return None
    if "max" in lim and v > lim["max"]:
        return f"{v} is above its maximum {lim['max']}"
    if "mask" in lim and v & ~lim["mask"]:
        return f"0x{v:x} has bits outside the defined 0x{lim['mask']:x}"
    return None


def _limit(lim: dict | None) -> Limit | None:
    return None if lim is None else (lambda v: limit_violation(v, lim))


# code -> (name, direction, n_items, ((index, field, type, check, limit), ...)), n_items counts
# code+cycle; limit is None for the fields without a range rule.
_SPEC: dict[int, tuple[str, str, int, tuple[tuple[int, str, str, Callable[[Any], bool], Limit | None], ...]]] = {
    code: (
        name,
        direction,
        2 + len(fields),
        tuple((2 + i, f, t, _CHECK[t], _limit(P.LIMITS.get(name, {}).get(f))) for i, (f, t) in enumerate(fields)),
    )
    for code, (name, direction, fields) in P.MSG_BY_CODE.items()
}


def unpack(data: bytes) -> Any:
    try:
        return msgpack.unpackb(data, strict_map_key=False, raw=False, use_list=True)
    except Exception as exc:  # msgpack raises several unrelated types (ExtraData, ValueError, ...)
        raise BridgeError(E["MALFORMED"], f"frame of {len(data)} bytes is not msgpack: {type(exc).__name__} {exc}".rstrip()) from None


def pack(obj: Any) -> bytes:
    return msgpack.packb(obj, use_bin_type=True)


def validate_msgs(msgs: Any, where: str, direction: str = "h2d") -> list:
    """Check a BATCH's message list; return it unchanged. `where` names the frame in errors."""
    if type(msgs) is not list:
        raise BridgeError(E["BAD_FIELD"], f"{where}: msgs must be an array, got {show(msgs)}")
    spec = _SPEC
    for i, m in enumerate(msgs):
        if type(m) is not list or len(m) < 2:
            raise BridgeError(E["BAD_FIELD"], f"{where} msg #{i}: must be an array [code, cycle, ...], got {show(m)}")
        code = m[0]
        s = spec.get(code) if type(code) is int else None
        if s is None:
            raise BridgeError(E["UNKNOWN_TYPE"], f"{where} msg #{i}: unknown message code {show(code)}")
        name, d, n, fields = s
        if d != direction:
            raise BridgeError(E["UNKNOWN_TYPE"], f"{where} msg #{i}: {name} (code {code}) is a {d} message, not allowed {direction}")
        if len(m) != n:
            raise BridgeError(E["BAD_FIELD"], f"{where} msg #{i} {name}: {len(m) - 2} fields, expected {n - 2}")
        c = m[1]
        if type(c) is not int or not 0 <= c <= U64_MAX:
            raise BridgeError(E["BAD_FIELD"], f"{where} msg #{i} {name}: field cycle must be u64, got {show(c)}")
        for j, f, t, check, limit in fields:
            if not check(m[j]):
                raise BridgeError(E["BAD_FIELD"], f"{where} msg #{i} {name}: field {f} must be {t}, got {show(m[j])}")
            if limit is not None:
                bad = limit(m[j])
                if bad is not None:
                    raise BridgeError(E["BAD_FIELD"], f"{where} msg #{i} {name} at cycle {c}: field {f} {bad}")
    return msgs


def _need(frame: list, n: int, name: str) -> None:
    if len(frame) != n:
        raise BridgeError(E["BAD_FIELD"], f"{name} frame has {len(frame)} items, expected {n}")


def decode_host_frame(data: bytes) -> list:
    """Decode and validate one frame sent by the host. Returns the frame as a list whose first
    item is the frame kind; placement (e.g. a BATCH before WELCOME) is the link's business."""
    f = unpack(data)
    if type(f) is not list or not f:
        raise BridgeError(E["MALFORMED"], f"frame is not a non-empty msgpack array: {show(f)}")
    kind = f[0]
    if kind == BATCH and type(kind) is int:
        _need(f, 3, "BATCH (host)")
        if not _u64(f[1]):
            raise BridgeError(E["BAD_FIELD"], f"BATCH seq must be u64, got {show(f[1])}")
        validate_msgs(f[2], f"BATCH seq {f[1]}")
        return f
    if type(kind) is not int or kind not in FRAME_NAME:
        raise BridgeError(E["UNKNOWN_TYPE"], f"unknown frame kind {show(kind)}")
    if kind == WELCOME:
        _need(f, 2, "WELCOME")
        if type(f[1]) is not dict:
            raise BridgeError(E["BAD_FIELD"], f"WELCOME params must be a map, got {show(f[1])}")
    elif kind == ERROR:
        _need(f, 3, "ERROR")
        if not _str(f[1]) or not _str(f[2]):
            raise BridgeError(E["BAD_FIELD"], f"ERROR must be [4, code str, message str], got {show(f[1:])}")
    elif kind == BYE:
        _need(f, 3, "BYE")
        if not _u64(f[1]) or not _str(f[2]):
            raise BridgeError(E["BAD_FIELD"], f"BYE must be [5, cycle u64, reason str], got {show(f[1:])}")
    elif kind == HELLO:
        raise BridgeError(E["SEQUENCE"], "HELLO received from the host (HELLO is sim -> host)")
    return f


# Encoders for the frames the simulator sends.
def hello(params: dict) -> bytes:
    return pack([HELLO, params])


def batch(seq: int, sync: int, msgs: list) -> bytes:
    return pack([BATCH, seq, sync, msgs])


def error(code: str, message: str) -> bytes:
    return pack([ERROR, code, message])


def bye(cycle: int, reason: str) -> bytes:
    return pack([BYE, cycle, reason])
