import { describe, expect, it } from 'vitest';
import {
  TRACE_EVENT, TRACE_KEEP, TRACE_QUEUE_RX, describeTrace, eventFilterFile, traceArgProblem, traceEventName, traceQueue, traceRecord, type TraceRecord,
} from '../../../src/debug/events.js';

describe('driver event kinds', () => {
  it('has one small, distinct code per kind, 0 left for "no event yet"', () => {
    expect(TRACE_EVENT).toEqual({
      DOORBELL_TX: 1, DOORBELL_RX: 2, IRQ: 3, NAPI_POLL: 4, NAPI_COMPLETE: 5, QUEUE_ERROR: 6, QUEUE_RESET: 7,
      QUEUE_RECOVERED: 8, TXQ_STOP: 9, TXQ_WAKE: 10, USER: 11,
    });
  });

  it('writes the GTKWave translate filter file: decimal value, then the name', () => {
    expect(eventFilterFile()).toBe([
      '# zcnic driver events: tb_evt_kind (decimal) -> name; generated from src/debug/events.ts',
      '0 none', '1 DOORBELL_TX', '2 DOORBELL_RX', '3 IRQ', '4 NAPI_POLL', '5 NAPI_COMPLETE', '6 QUEUE_ERROR',
      '7 QUEUE_RESET', '8 QUEUE_RECOVERED', '9 TXQ_STOP', '10 TXQ_WAKE', '11 USER', '',
    ].join('\n'));
  });

  it('names kinds and queues', () => {
    expect(traceEventName(TRACE_EVENT.NAPI_POLL)).toBe('NAPI_POLL');
    expect(traceEventName(200)).toBe('kind 200');
    expect(traceQueue('tx', 3)).toBe(3);
    expect(traceQueue('rx', 3)).toBe(TRACE_QUEUE_RX | 3);
    expect(describeTrace({ kind: TRACE_EVENT.QUEUE_RESET, queue: traceQueue('rx', 3), index: 9 })).toBe('QUEUE_RESET RXQ 3 index 9');
    expect(describeTrace({ kind: TRACE_EVENT.TXQ_STOP, queue: 0, index: 65535 })).toBe('TXQ_STOP TXQ 0 index 65535');
  });

  it('checks the field widths of MARK (tb_evt_kind 8, tb_evt_queue 8, tb_evt_index 16 bits)', () => {
    expect(traceArgProblem(255, 255, 65535)).toBeUndefined();
    expect(traceArgProblem(0, 0, 0)).toEqual({ field: 'kind', detail: 'kind must be an integer in 1..255, got 0' });
    expect(traceArgProblem(1, -1, 0)).toEqual({ field: 'queue', detail: 'queue must be an integer in 0..255, got -1' });
    expect(traceArgProblem(1, 0, 65536)).toEqual({ field: 'index', detail: 'index must be an integer in 0..65535, got 65536' });
  });
});

describe('traceRecord: a long run keeps memory bounded', () => {
  it('keeps every fault event and the most recent TRACE_KEEP others', () => {
    const log: TraceRecord[] = [];
    let dropped = 0;
    const n = 2 * TRACE_KEEP + 10;
    for (let i = 0; i < n; i++) {
      const kind = i === 5 ? TRACE_EVENT.QUEUE_ERROR : TRACE_EVENT.NAPI_POLL;
      dropped += traceRecord(log, { cycle: i, hostCycle: i, kind, queue: 0, index: i & 0xffff });
    }
    expect(log.length).toBeLessThan(2 * TRACE_KEEP);
    expect(log[0]!.kind).toBe(TRACE_EVENT.QUEUE_ERROR);
    expect(log.at(-1)!.cycle).toBe(n - 1);
    expect(log.length + dropped).toBe(n);
    // the kept ones are in order, and the newest TRACE_KEEP are all there
    expect(log.every((e, i) => i === 0 || e.cycle > log[i - 1]!.cycle)).toBe(true);
    expect(log.slice(-TRACE_KEEP).map((e) => e.cycle)).toEqual(Array.from({ length: TRACE_KEEP }, (_, i) => n - TRACE_KEEP + i));
  });
});
