import { describe, expect, it } from 'vitest';
import { HostSync, checkSyncParams } from '../../../src/bridge/sync.js';
import { BridgeError } from '../../../src/bridge/errors.js';

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof BridgeError) return e.code;
    throw e;
  }
  return 'no error';
}

describe('conservative time synchronization (host side)', () => {
  it('requires L to be a positive multiple of W', () => {
    expect(code(() => checkSyncParams({ window: 128, latency: 256 }))).toBe('no error');
    expect(code(() => checkSyncParams({ window: 128, latency: 128 }))).toBe('no error');
    expect(code(() => checkSyncParams({ window: 128, latency: 200 }))).toBe('E_PARAM_MISMATCH');
    expect(code(() => checkSyncParams({ window: 128, latency: 64 }))).toBe('E_PARAM_MISMATCH');
    expect(code(() => checkSyncParams({ window: 0, latency: 64 }))).toBe('E_PARAM_MISMATCH');
  });

  it('allows L/W - 1 batches in flight', () => {
    expect(new HostSync({ window: 128, latency: 128 }).inFlight).toBe(0);
    expect(new HostSync({ window: 128, latency: 256 }).inFlight).toBe(1);
    expect(new HostSync({ window: 64, latency: 256 }).inFlight).toBe(3);
  });

  it('accepts batches whose sync advances by W and whose cycles stay in the window', () => {
    const s = new HostSync({ window: 128, latency: 256 });
    s.acceptBatch(0, 0, []);
    s.acceptBatch(1, 128, [0, 0, 5, 127]);
    expect(s.told).toBe(128);
    s.acceptBatch(2, 256, [128]);
    expect(s.told).toBe(256);
  });

  it('stamps effects one link latency after the host time, and bounds each reply', () => {
    const s = new HostSync({ window: 128, latency: 256 });
    expect(s.earliest(300)).toBe(556);
    expect(s.replyFloor(384)).toBe(512);
  });

  it('rejects a message cycle going backwards', () => {
    const s = new HostSync({ window: 128, latency: 256 });
    s.acceptBatch(0, 0, []);
    expect(code(() => s.acceptBatch(1, 128, [10, 9]))).toBe('E_TIME_BACKWARDS');
  });

  it('rejects a message stamped outside its window (before it or at its end)', () => {
    const s = new HostSync({ window: 128, latency: 256 });
    s.acceptBatch(0, 0, []);
    s.acceptBatch(1, 128, []);
    expect(code(() => s.acceptBatch(2, 256, [127]))).toBe('E_TIME_BACKWARDS');
    expect(code(() => s.acceptBatch(2, 256, [256]))).toBe('E_TIME_BACKWARDS');
  });

  it('rejects a sync that does not advance by exactly W and a batch out of sequence', () => {
    const s = new HostSync({ window: 128, latency: 256 });
    s.acceptBatch(0, 0, []);
    expect(code(() => s.acceptBatch(1, 0, []))).toBe('E_TIME_BACKWARDS');
    expect(code(() => s.acceptBatch(1, 200, []))).toBe('E_TIME_BACKWARDS');
    expect(code(() => s.acceptBatch(2, 256, []))).toBe('E_SEQUENCE');
    expect(code(() => s.acceptBatch(0, 0, []))).toBe('E_SEQUENCE');
  });
});
