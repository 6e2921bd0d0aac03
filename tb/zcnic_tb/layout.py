"""For the testbenches' driver models: fields of the ABI's host-memory structures (abi.TX_DESC,
abi.RX_CQE, ...: (bytes, {field: (offset, size)}), little-endian) and the DMA engines' burst split."""

from __future__ import annotations


def put(buf: bytearray, layout: dict[str, tuple[int, int]], name: str, value: int) -> None:
    off, size = layout[name]
    buf[off:off + size] = value.to_bytes(size, "little")


def get(raw: bytes, layout: dict[str, tuple[int, int]], name: str) -> int:
    off, size = layout[name]
    return int.from_bytes(raw[off:off + size], "little")


def split_bursts(addr: int, length: int, chunk: int) -> list[tuple[int, int]]:
    """dma_rd/dma_wr's split of [addr, addr+length) into (start, end) bursts, in issue order: each
    runs to the next `chunk`-aligned address or the end (docs/rtl-dma.md)."""
    out = []
    while length:
        end = min((addr // chunk + 1) * chunk, addr + length)
        out.append((addr, end))
        length -= end - addr
        addr = end
    return out
