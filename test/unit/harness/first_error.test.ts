// The run harness on the model: the first error wins and is located, a stuck run stops and
// says what each host waits on, and the new user's two-host test passes as written.

import { describe, expect, it } from 'vitest';
import { DATAGRAMS, newUserTest } from '../../cases/new_user.js';
import { deadQueueTest } from '../../cases/dead_queue.js';

describe('the run harness (model)', () => {
  it("the new user's test passes: 200 zero-copy datagrams, every one on RX queue 2", async () => {
    const r = await newUserTest('model', 'pass');
    expect(r.cycles).toBeGreaterThan(0);
    expect(r.wire.delivered).toBe(DATAGRAMS);
  });

  it('a receiver that throws fails the run with its message, host and cycle', async () => {
    const e = await newUserTest('model', 'throw-at-57').then(() => null, (x: unknown) => x as Error);
    expect(e).toBeInstanceOf(Error);
    expect(e!.message).toMatch(/^host1, cycle \d+: datagram 57 \(RX queue 2, cycle \d+\): byte 0 is 0x39, the test expected 0xff/);
    // what followed is listed after it
    expect(e!.message).toMatch(/then host0, cycle \d+: E_STOPPED/);
  });

  it('a check of the wrong queue fails with the assertion, located', async () => {
    const e = await newUserTest('model', 'wrong-queue').then(() => null, (x: unknown) => x as Error);
    // the frame named by the test's own message: the datagram, its RX queue and cycle
    expect(e!.message).toMatch(/^host1, cycle \d+: datagram 0 \(RX queue 2, cycle \d+\): expected 2 to be 3/);
  });

  it('a receiver waiting for a datagram never sent stops at the stuck bound, naming the call', async () => {
    const e = await newUserTest('model', 'stuck', { stuckCycles: 200_000 }).then(() => null, (x: unknown) => x as Error);
    expect(e!.message).toMatch(/^host1, cycle \d+: E_STUCK: no host made progress for 200000 cycles/);
    expect(e!.message).toMatch(/host1 waits on pid \d+ recvmsg\(fd \d+\) since cycle \d+ on udp 0\.0\.0\.0:9000 <- 0\.0\.0\.0:0, 0 queued/);
    expect(e!.message).toMatch(/host0 waits on .*sleep until cycle/);
  });
});

describe('an unrecovered queue error (model)', () => {
  it('ends the run at once with the driver giving up on the queue, located', async () => {
    const e = await deadQueueTest('model').then(() => null, (x: unknown) => x as Error);
    expect(e!.message).toMatch(/^host0, cycle \d+: E_RECOVERY: txq1 failed again \(DESC_READ, resp \d, bus address 0x[0-9a-f]+\) after 3 recoveries with nothing completed; the queue stays down \(txq1, descriptor 0, cycle \d+\)/);
  });
});
