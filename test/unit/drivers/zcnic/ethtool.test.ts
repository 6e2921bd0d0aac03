// The ethtool-like API refuses bad settings with the errno Linux gives and writes nothing then;
// good settings program exactly the registers the RTL documents (rtl-rx-steer.md).

import { describe, expect, it } from 'vitest';
import { STEER } from '../../../../src/abi/regs.js';
import type { Device } from '../../../../src/device/device.js';
import { ZcnicEthtool } from '../../../../src/drivers/zcnic/ethtool.js';
import { type RxFlowSpec } from '../../../../src/net/core/ethtool.js';
import { DEFAULT_NETDEV_CONFIG, ZcnicNetdev } from '../../../../src/drivers/zcnic/netdev.js';
import { EINVAL } from '../../../../src/drivers/zcnic/errors.js';
import type { DeviceInfo } from '../../../../src/drivers/zcnic/zcnic.js';
import { ManualClock } from '../../../../src/platform/clock.js';
import { HostPlatform } from '../../../../src/platform/host.js';

/** Registers as a map; writes are recorded in order. */
function fakeDevice(regs: Map<number, number>, writes: [number, number][]): Device {
  const clock = new ManualClock(4000);
  return {
    name: 'fake', clock,
    readReg: async (off) => regs.get(off) ?? 0,
    writeReg: async (off, v) => { writes.push([off, v >>> 0]); regs.set(off, v >>> 0); },
    onIrq: () => {}, sleep: async () => {}, onEthTx: () => {}, ethRx: () => {}, trace: () => {},
  };
}

const INFO: DeviceInfo = {
  id: 0, version: { major: 2, minor: 0, patch: 0 }, features: 0, dataBytes: 8, irqVectors: 9, chunkBytes: 512, abiHash: 0,
  txQueues: 4, rxQueues: 4, maxRingEntries: 1024, maxFrags: 32,
};

function setup() {
  const regs = new Map<number, number>([
    [STEER.BASE + STEER.QUEUES, 4], [STEER.BASE + STEER.FILTERS, 16], [STEER.BASE + STEER.RSS_ENTRIES, 128],
  ]);
  const writes: [number, number][] = [];
  const host = new HostPlatform({ clock: new ManualClock(4000) });
  const pdev = host.createDevice({ driver: 'zcnic' });
  const nd = new ZcnicNetdev(fakeDevice(regs, writes), host, pdev, INFO, DEFAULT_NETDEV_CONFIG, () => {});
  return { et: new ZcnicEthtool(nd), writes };
}

describe('ethtool-like API', () => {
  it('-N: a filter to a queue that does not exist, a slot past FILTERS or a bad field is -EINVAL and writes nothing', async () => {
    const { et, writes } = setup();
    const bad: RxFlowSpec[] = [
      { location: 0, dstPort: 80, action: 4 },
      { location: 16, dstPort: 80, action: 0 },
      { location: -1, action: 0 },
      { location: 0, dstMac: new Uint8Array(5), action: 0 },
      { location: 0, dstPort: 65536, action: 0 },
      { location: 0, etherType: 0x10000, action: 0 },
    ];
    for (const fs of bad) expect(await et.set_rxnfc_insert(fs)).toBe(-EINVAL);
    expect(await et.set_rxnfc_delete(16)).toBe(-EINVAL);
    expect(await et.set_default_queue(4)).toBe(-EINVAL);
    expect(writes).toEqual([]);
  });

  it('-N: a filter is disabled, written, then enabled with its mask, action and queue', async () => {
    const { et, writes } = setup();
    expect(await et.set_rxnfc_insert({ location: 3, ipProto: 17, dstPort: 4789, action: 2 })).toBe(0);
    const b = STEER.BASE + STEER.FILTER + 3 * STEER.FILTER_STRIDE;
    expect(writes).toEqual([
      [b + STEER.F_CTRL, 0], [b + STEER.F_MAC_LO, 0], [b + STEER.F_MAC_HI, 0], [b + STEER.F_TYPE, 17 << 16],
      [b + STEER.F_DST_IP, 0], [b + STEER.F_DST_PORT, 4789],
      [b + STEER.F_CTRL, (STEER.F_ENABLE | ((STEER.M_IP_PROTO | STEER.M_DST_PORT) << STEER.F_MASK_SHIFT) | 2) >>> 0],
    ]);
    writes.length = 0;
    expect(await et.set_rxnfc_insert({ location: 0, dstMac: Uint8Array.of(2, 0, 0, 0, 0, 1), action: 'drop' })).toBe(0);
    const c = STEER.BASE + STEER.FILTER;
    expect(writes[1]).toEqual([c + STEER.F_MAC_LO, 0x00000001]);
    expect(writes[2]).toEqual([c + STEER.F_MAC_HI, 0x0200]);
    expect(writes[6]).toEqual([c + STEER.F_CTRL, (STEER.F_ENABLE | STEER.F_DROP | (STEER.M_DST_MAC << STEER.F_MASK_SHIFT)) >>> 0]);
  });

  it('-X: the indirection table must have RSS_ENTRIES valid queues and the key 40 bytes', async () => {
    const { et, writes } = setup();
    expect(await et.get_rxfh_indir_size()).toBe(128);
    expect(await et.set_rxfh({ indir: new Array<number>(64).fill(0) })).toBe(-EINVAL);
    expect(await et.set_rxfh({ indir: new Array<number>(128).fill(4) })).toBe(-EINVAL);
    expect(await et.set_rxfh({ key: new Uint8Array(16) })).toBe(-EINVAL);
    expect(writes).toEqual([]);
    const indir = Array.from({ length: 128 }, (_, i) => i % 4);
    expect(await et.set_rxfh({ indir })).toBe(0);
    expect(writes).toHaveLength(32);
    expect(writes[0]).toEqual([STEER.BASE + STEER.RETA, 0x03020100]);
  });

  it('-G: ring sizes must be powers of two in 16..MAX, buffers multiples of 64 in 256..4096', () => {
    const { et } = setup();
    expect(et.check_ringparam({ rx_pending: 8 })).toBe(-EINVAL);
    expect(et.check_ringparam({ tx_pending: 2048 })).toBe(-EINVAL);
    expect(et.check_ringparam({ tx_pending: 300 })).toBe(-EINVAL);
    expect(et.check_ringparam({ rx_buf_len: 1000 })).toBe(-EINVAL);
    expect(et.check_ringparam({ rx_pending: 1024, tx_pending: 16, rx_buf_len: 2048, tcp_data_split: false })).toBe(0);
  });

  it('-C: moderation beyond the 16-bit registers is -EINVAL; microseconds become cycles', async () => {
    const { et, writes } = setup();
    expect(await et.set_coalesce({ rx_usecs: 300, rx_max_coalesced_frames: 1, tx_usecs: 0, tx_max_coalesced_frames: 0 })).toBe(-EINVAL);
    expect(await et.set_coalesce({ rx_usecs: 1, rx_max_coalesced_frames: 70000, tx_usecs: 0, tx_max_coalesced_frames: 0 })).toBe(-EINVAL);
    expect(writes).toEqual([]);
    expect(await et.set_coalesce({ rx_usecs: 8, rx_max_coalesced_frames: 16, tx_usecs: 4, tx_max_coalesced_frames: 32 })).toBe(0);
  });
});
