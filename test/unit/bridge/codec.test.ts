import { describe, expect, it } from 'vitest';
import { Packr } from 'msgpackr';
import { decodeHostFrame, decodeSimFrame, encodeFrame, type Frame } from '../../../src/bridge/codec.js';
import { BridgeError } from '../../../src/bridge/errors.js';
import { ETH, EXIT, MSG, PROTOCOL_VERSION } from '../../../src/abi/link.js';

const raw = new Packr({ useRecords: false });

function fault(fn: () => unknown): BridgeError {
  try {
    fn();
  } catch (e) {
    if (e instanceof BridgeError) return e;
    throw e;
  }
  throw new Error('expected a BridgeError');
}

describe('bridge codec', () => {
  it('round-trips a device batch with every device message type', () => {
    const f: Frame = {
      kind: 'batch', seq: 3, sync: 384, msgs: [
        { type: 'DMA_RD_REQ', cycle: 257, tag: 1, addr: 0xfffff000n, len: 4096 },
        { type: 'DMA_WR_REQ', cycle: 300, tag: 2, addr: 0x1_0000_0000n, data: Buffer.from([1, 2, 3]) },
        { type: 'IRQ', cycle: 301, vector: 0 },
        { type: 'MMIO_RD_DONE', cycle: 310, id: 7, resp: 0, data: 0xdeadbeef },
        { type: 'MMIO_WR_DONE', cycle: 311, id: 8, resp: 2 },
        { type: 'ETH_TX', cycle: 320, port: 0, flags: 0, frame: Buffer.alloc(60, 0x5a) },
      ],
    };
    expect(decodeSimFrame(encodeFrame(f))).toEqual(f);
  });

  it('round-trips a host reply and the handshake', () => {
    const r: Frame = {
      kind: 'reply', seq: 0, msgs: [
        { type: 'MMIO_WR', cycle: 256, id: 0, addr: 0x14, data: 0xffffffff },
        { type: 'DMA_RD_CPL', cycle: 513, tag: 1, resp: 0, data: Buffer.alloc(64, 0xab) },
        { type: 'ETH_RX', cycle: 600, port: 0, flags: ETH.FLAG.BAD, frame: Buffer.alloc(ETH.MAX_FRAME_BYTES, 1) },
        { type: 'MARK', cycle: 600, kind: 255, queue: 0x82, index: 0xffff },
        { type: 'FINISH', cycle: 900, status: 0 },
      ],
    };
    expect(decodeHostFrame(encodeFrame(r))).toEqual(r);
    const params = {
      proto: 2, abi_hash: 'ab'.repeat(32), clock_period_ps: 4000, sync_window: 128, link_latency: 256,
      seed: 7, max_frame: 1 << 20, nic: { data_bytes: 8, irq_vectors: 1 },
    };
    expect(decodeSimFrame(encodeFrame({ kind: 'hello', params }))).toEqual({ kind: 'hello', params });
  });

  it('writes 64-bit addresses as msgpack integers, never floats (Python must read ints)', () => {
    const bytes = encodeFrame({ kind: 'batch', seq: 0, sync: 0, msgs: [{ type: 'DMA_RD_REQ', cycle: 0, tag: 0, addr: 0x4_0000_0000n, len: 8 }] });
    expect([...bytes]).not.toContain(0xcb); // float64 marker
    expect([...bytes].some((b) => b === 0xcf || b === 0xd3)).toBe(true); // uint64 / int64 marker
  });

  it('rejects bytes that are not msgpack', () => {
    // An array header promising three elements, then the data ends.
    const e = fault(() => decodeSimFrame(new Uint8Array([0x93, 0x03])));
    expect(e.code).toBe('E_MALFORMED');
    expect(e.exitCode).toBe(EXIT.E_MALFORMED);
    expect(e.message).toMatch(/not valid msgpack/);
  });

  it('rejects a frame that is not an array', () => {
    const e = fault(() => decodeSimFrame(raw.pack({ kind: 3 })));
    expect(e.code).toBe('E_MALFORMED');
    expect(e.message).toMatch(/must be a msgpack array/);
  });

  it('rejects an unknown frame kind and an unknown message code', () => {
    expect(fault(() => decodeSimFrame(raw.pack([99]))).message).toBe('unknown frame kind 99');
    const e = fault(() => decodeSimFrame(raw.pack([3, 0, 128, [[1, 0, 0, 0, 8], [42, 5]]])));
    expect(e.code).toBe('E_UNKNOWN_TYPE');
    expect(e.message).toBe('unknown message code 42');
    expect(e.context).toMatchObject({ seq: 0, msgIndex: 1 });
  });

  it('rejects a host-to-device message sent by the device', () => {
    const e = fault(() => decodeSimFrame(raw.pack([3, 1, 128, [[66, 5, 0, 0]]])));
    expect(e.code).toBe('E_UNKNOWN_TYPE');
    expect(e.message).toMatch(/MMIO_RD \(code 66\) travels h2d, not d2h/);
  });

  it('rejects a field of the wrong type, naming message, field and value', () => {
    const e = fault(() => decodeSimFrame(raw.pack([3, 2, 256, [[1, 130, 'seven', 0, 8]]])));
    expect(e.code).toBe('E_BAD_FIELD');
    expect(e.exitCode).toBe(EXIT.E_BAD_FIELD);
    expect(e.message).toBe('DMA_RD_REQ.tag must be an unsigned 32-bit integer, got "seven"');
    expect(e.describe()).toBe('E_BAD_FIELD: DMA_RD_REQ.tag must be an unsigned 32-bit integer, got "seven" (batch 2, message 0, field DMA_RD_REQ.tag)');
  });

  it('rejects out-of-range integers, wrong field counts and non-binary payloads', () => {
    expect(fault(() => decodeSimFrame(raw.pack([3, 0, 0, [[3, 0, 2 ** 32]]]))).code).toBe('E_BAD_FIELD');
    expect(fault(() => decodeSimFrame(raw.pack([3, 0, 0, [[3, 0, -1]]]))).code).toBe('E_BAD_FIELD');
    expect(fault(() => decodeSimFrame(raw.pack([3, 0, 0, [[3, 0]]]))).message).toMatch(/IRQ needs 3 elements/);
    expect(fault(() => decodeSimFrame(raw.pack([3, 0, 0, [[2, 0, 1, 16, 'abc']]]))).message).toMatch(/DMA_WR_REQ.data must be binary/);
    expect(fault(() => decodeSimFrame(raw.pack([3, 0, 1.5, []]))).message).toMatch(/BATCH.sync must be an unsigned 64-bit integer/);
  });

  it('protocol v2: the MAC messages carry port, flags and frame; MARK kind, queue and index', () => {
    expect(PROTOCOL_VERSION).toBe(2);
    expect(MSG.ETH_TX).toMatchObject({ code: 6, dir: 'd2h', fields: [['port', 'u32'], ['flags', 'u32'], ['frame', 'bin']] });
    expect(MSG.ETH_RX).toMatchObject({ code: 68, dir: 'h2d', fields: [['port', 'u32'], ['flags', 'u32'], ['frame', 'bin']] });
    expect(MSG.MARK).toMatchObject({ code: 70, dir: 'h2d', fields: [['kind', 'u32'], ['queue', 'u32'], ['index', 'u32']] });
    expect(MSG.ETH_RX.limits).toEqual({ port: { max: 0 }, flags: { mask: 1 }, frame: { minBytes: 1, maxBytes: 16384 } });
    expect(MSG.MARK.limits).toEqual({ kind: { max: 255 }, queue: { max: 255 }, index: { max: 65535 } });
  });

  it('checks the range rules of the MAC messages and MARK, naming message, field and cycle', () => {
    const tx = (port: number, flags: number, n: number): Uint8Array => raw.pack([3, 1, 128, [[6, 77, port, flags, new Uint8Array(n)]]]);
    for (const [flags, n] of [[0, 1], [1, 16384]] as const) {
      const f = decodeSimFrame(tx(0, flags, n));
      expect(f.kind === 'batch' && f.msgs.map((m) => m.type === 'ETH_TX' && [m.cycle, m.port, m.flags, m.frame.length])).toEqual([[77, 0, flags, n]]);
    }
    const cases: [Uint8Array, string, string][] = [
      [tx(0, 0, 0), 'ETH_TX.frame is 0 bytes, at least 1 allowed', 'ETH_TX.frame'],
      [tx(0, 0, 16385), 'ETH_TX.frame is 16385 bytes, at most 16384 allowed', 'ETH_TX.frame'],
      [tx(0, 6, 60), 'ETH_TX.flags 0x6 has bits outside the defined 0x1', 'ETH_TX.flags'],
      [tx(1, 0, 60), 'ETH_TX.port 1 is above its maximum 0', 'ETH_TX.port'],
    ];
    for (const [bytes, message, field] of cases) {
      const e = fault(() => decodeSimFrame(bytes));
      expect([e.code, e.message, e.context]).toEqual(['E_BAD_FIELD', message, { seq: 1, msgIndex: 0, field, cycle: 77 }]);
    }
    const mark = (kind: number, queue: number, index: number): Uint8Array => raw.pack([3, 0, [[70, 300, kind, queue, index]]]);
    expect(fault(() => decodeHostFrame(mark(256, 0, 0))).message).toBe('MARK.kind 256 is above its maximum 255');
    expect(fault(() => decodeHostFrame(mark(1, 256, 0))).message).toBe('MARK.queue 256 is above its maximum 255');
    expect(fault(() => decodeHostFrame(mark(1, 0, 65536))).message).toBe('MARK.index 65536 is above its maximum 65535');
    expect(fault(() => decodeHostFrame(raw.pack([3, 0, [[68, 300, 0, new Uint8Array(60)]]]))).message)
      .toBe('ETH_RX needs 5 elements [code, cycle, port, flags, frame], got 4');
  });

  it('rejects a HELLO with a missing parameter', () => {
    const e = fault(() => decodeSimFrame(raw.pack([1, { proto: 1 }])));
    expect(e.code).toBe('E_BAD_FIELD');
    expect(e.message).toBe("handshake parameter 'abi_hash' is missing");
  });
});
