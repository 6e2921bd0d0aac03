// The traffic scenario's frames and what the NIC must do with each: pktgen's seeded mix (UDP and
// TCP flows, VLAN tags, IPv4 fragments, ARP and raw EtherTypes, checksum offload on and off, bad
// IP and UDP checksums, a filter port, a drop port, another MAC) and the model of the RTL
// (src/model/: parse, checksum verdict, steering with RSS, buffer layout) as the scoreboard.

import { STEER, TX_FLAG } from '../../abi/regs.js';
import type { ZcnicEthtool } from '../../drivers/zcnic/ethtool.js';
import type { RxFlowSpec } from '../../net/core/ethtool.js';
import { Pktgen, pktgenSteering, sgFragments, seqOf as pktgenSeqOf, type PktgenFrame as Frame } from './pktgen.js';
import { rxExpect, type RxQueueConf } from '../../model/rx.js';
import type { SteerTables } from '../../model/steer.js';
import type { Rng } from '../../lib/rng.js';
import type { ScenarioHost } from '../../host/machine.js';
import { GFP_KERNEL, get_order } from '../../mem/page_alloc.js';
import { PAGE_SIZE } from '../../mem/phys.js';
import { alloc_skb, skb_add_rx_frag, skb_put_data, type SkBuff } from '../../net/core/skbuff.js';

export interface PktgenFrame {
  readonly seq: number;
  readonly txq: number;
  readonly kind: string;
  readonly wire: Uint8Array;
  readonly sent: Uint8Array;
  readonly csumIp: boolean;
  readonly csumL4: boolean;
}

export interface RxExpectation {
  readonly drop: boolean;
  readonly queue: number;
  readonly rssHash: number;
  readonly hashValid: boolean;
  readonly filterHit: boolean;
  readonly filterIndex: number;
  readonly csum: number;
  readonly hdrLen: number;
  readonly split: boolean;
  readonly descriptors: number;
  readonly hashChecked: boolean;
}

export type Steering = SteerTables;

/** `n` frames over every TX queue from pktgen's flows. */
export function trafficFrames(seed: number, n: number, txQueues: number): PktgenFrame[] {
  return new Pktgen({ seed, txQueues, flows: 32 }).take(n).map((f: Frame) => ({
    seq: f.seq, txq: f.txq, kind: `${f.flow.kind}${f.flow.vid !== null ? '+vlan' : ''}/${f.csum}`, wire: f.wire, sent: f.sent,
    csumIp: (f.txFlags & TX_FLAG.CSUM_IP) !== 0, csumL4: (f.txFlags & TX_FLAG.CSUM_UDP) !== 0,
  }));
}

export function seqOf(frame: Uint8Array): number | undefined {
  return pktgenSeqOf(frame) ?? undefined;
}

/** pktgen's steering tables, programmed through the ethtool-like API (-X, -N, default queue). */
export async function programSteering(et: ZcnicEthtool, rng: Rng, rxQueues: number): Promise<Steering> {
  const lim = await et.steeringLimits();
  const t = pktgenSteering({ seed: rng.int(0, 2 ** 31), rxQueues, filters: lim.filters, rssEntries: lim.rssEntries });
  const ok = (rc: number, what: string): void => {
    if (rc !== 0) throw new Error(`${what} refused: errno ${rc}`);
  };
  ok(await et.set_rxfh({ key: t.key, indir: t.indir, hashPorts: { tcp: (t.rss_ctrl & 1) !== 0, udp: (t.rss_ctrl & 2) !== 0 } }), 'set_rxfh');
  ok(await et.set_default_queue(t.default_queue), 'default queue');
  for (const [i, f] of t.filters.entries()) {
    if (!f.enable) continue;
    const mac = new Uint8Array(6);
    for (let b = 0; b < 6; b++) mac[b] = Math.floor(f.dst_mac / 2 ** (8 * (5 - b))) & 0xff;
    const fs: RxFlowSpec = {
      location: i, action: f.drop ? 'drop' : f.queue,
      ...(f.mask & STEER.M_DST_MAC ? { dstMac: mac } : {}),
      ...(f.mask & STEER.M_ETHERTYPE ? { etherType: f.ethertype } : {}),
      ...(f.mask & STEER.M_IP_PROTO ? { ipProto: f.ip_proto } : {}),
      ...(f.mask & STEER.M_DST_IP ? { dstIp: f.dst_ip } : {}),
      ...(f.mask & STEER.M_DST_PORT ? { dstPort: f.dst_port } : {}),
    };
    ok(await et.set_rxnfc_insert(fs), `filter ${i}`);
  }
  return t;
}

/** What the NIC must report for frame `f`, from the model of the RTL. */
export function expectRx(f: PktgenFrame, st: Steering, q: (queue: number) => { readonly hdrSplit: boolean; readonly bufSize: number }, hdrSize = 256): RxExpectation {
  const steered = st.filters.filter((fl) => fl.enable && !fl.drop).map((fl) => fl.queue);
  const n = Math.max(...st.indir, st.default_queue, ...steered) + 1;
  const queues: RxQueueConf[] = Array.from({ length: n }, (_, i) => ({ hdr_split: q(i).hdrSplit, hdr_size: hdrSize, buf_size: q(i).bufSize }));
  const e = rxExpect(f.wire, st, queues);
  const d = e.delivery;
  if (!d) {
    return { drop: true, queue: 0, rssHash: 0, hashValid: false, filterHit: true, filterIndex: 0, csum: 0, hdrLen: 0, split: false, descriptors: 0, hashChecked: true };
  }
  const c = d.cqes[0]!;
  return {
    drop: false, queue: d.queue, rssHash: c.RSS_HASH, hashValid: e.cls.steer.hash_valid, filterHit: e.cls.steer.filter_hit,
    filterIndex: c.FILTER_INDEX, csum: c.CSUM, hdrLen: d.hdr_len, split: d.hdr_len > 0, descriptors: d.cqes.length, hashChecked: true,
  };
}

const RX_CHECKED = ['queue', 'rssHash', 'hashValid', 'filterHit', 'filterIndex', 'csum', 'hdrLen', 'split', 'descriptors'] as const;

/** The first field of a received frame's completion that is not what the model says, as a sentence. */
export function rxMismatch(meta: { readonly [K in (typeof RX_CHECKED)[number]]: number | boolean }, e: RxExpectation): string | undefined {
  for (const k of RX_CHECKED) {
    if (k === 'rssHash' && !e.hashChecked) continue;
    if (meta[k] !== e[k]) return `${k} is ${String(meta[k])}, the model says ${String(e[k])}`;
  }
  return undefined;
}

/** Scatter-gather pieces of a frame (pktgen's split, which nic_tx's fragment rules accept). */
export function sgSplit(rng: Rng, len: number): number[] {
  return sgFragments(rng, len, 12).map((g) => g.len);
}

/** Index of the first byte where a and b differ (the shorter's length if one is a prefix), -1 if equal. */
export function firstDiff(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/** An skb like the stack's: the headers in the linear part, the rest in page fragments above 4 GiB. */
export function txSkb(h: ScenarioHost, f: PktgenFrame, rng: Rng): SkBuff {
  const pieces = sgSplit(rng, f.sent.length);
  const headLen = pieces[0]!;
  const skb = alloc_skb(h.host, headLen, GFP_KERNEL);
  if (!skb) throw new Error('out of memory for an skb head');
  skb_put_data(skb, f.sent.subarray(0, headLen));
  let off = headLen;
  for (let i = 1; i < pieces.length; i++) {
    const n = pieces[i]!;
    const pageOff = rng.int(0, 4096 - 1) & ~63;
    const order = get_order(pageOff + n);
    const page = h.host.pages.alloc_pages(GFP_KERNEL, order);
    if (!page) throw new Error('out of memory for a TX fragment');
    h.host.cpuWrite(page.phys + BigInt(pageOff), f.sent.subarray(off, off + n));
    // skb_fill_page_desc leaves len/data_len/truesize to the caller; this accounts all three
    skb_add_rx_frag(skb, i - 1, page, pageOff, n, PAGE_SIZE << order);
    off += n;
  }
  return skb;
}
