// The rx-zerocopy scenario (src/net/core/zcrx.ts): host 1's process of trust domain A receives
// its UDP flow zero-copy from a bound RX queue (MODE shared|single|exclusive) while host 0 sends
// seeded traffic of three domains: A's flow, B's (which a filter also steers onto A's queue:
// the frames the trust-domain rule must copy out, or drop in exclusive mode) and C's (steered
// elsewhere by RSS). Every payload byte carries its domain's canary (0x10 * domain + nibble);
// freed pages read 0xaa (page poisoning). For every buffer delivered to A the whole page A can
// see is checked: its payload exact, every other byte zero or A's own. A byte of another
// domain, a freed-page canary or anything else (host metadata) is a violation, reported with the
// page and whose bytes they are. A keeps some buffers for a while, at times all of them, so the
// queue also runs dry (drops for lack of returned buffers).
//
// It prints frames received, pages mapped, pages cleared (on entry, on re-entry) and what that
// costs at the seed's 143 cycles a page, copies forced by trust domains, returns, drops, and the
// leak check's counts.

import { ZcnicEthtool } from '../drivers/zcnic/ethtool.js';
import { PAGE_SIZE } from '../mem/phys.js';
import { IPPROTO_UDP } from '../lib/proto.js';
import type { ZcrxCqe, ZcrxIfq, ZcrxMode } from '../net/core/zcrx.js';
import { AF_INET, EAGAIN, POLLIN, SOCK_DGRAM, SOCK_NONBLOCK, errnoName, sockaddr_in } from '../net/socket/uapi.js';
import { Rng } from '../lib/rng.js';
import { hostAddr, type NetHost, type NetProcess } from '../host/net_host.js';
import { stackPair } from './lib/stack_pair.js';
import { hostReport, scenarioHost } from '../host/machine.js';
import { WIRE_LATENCY, type PairScenario } from './types.js';

/** Trust domains (uids): A receives zero-copy; B's frames are steered onto A's queue; C's elsewhere. */
export const DOMAINS = { A: 1001, B: 1002, C: 1003 } as const;
const PORTS = { A: 9000, B: 9100, C: 9200 } as const;
type Dom = keyof typeof DOMAINS;
const DOMS: readonly Dom[] = ['A', 'B', 'C'];
/** The canary nibble base of each domain: its payload bytes are 0x10 * (index + 1) + nibble. */
const BASE: Record<Dom, number> = { A: 0x10, B: 0x20, C: 0x30 };
/** Bytes of sequence number at the head of each payload (six nibbles: 2^24 datagrams). */
const SEQ_BYTES = 6;
/** Page poisoning's freed-page byte (PAGE_POISON). */
const FREED = 0xaa;
/** Seed 004's measured cost of clearing a 4 KiB page. */
export const SEED_CLEAR_CYCLES = 143;

/** Payload `seq` of domain d, `n` bytes (n >= SEQ_BYTES): the sequence in nibbles, then canaries. */
export function canaryPayload(d: Dom, seq: number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  const base = BASE[d];
  for (let k = 0; k < SEQ_BYTES; k++) b[k] = base | ((seq >>> (4 * k)) & 0xf);
  for (let k = SEQ_BYTES; k < n; k++) b[k] = base | ((seq + k) & 0xf);
  return b;
}

function seqOf(d: Dom, b: Uint8Array): number {
  let s = 0;
  for (let k = 0; k < SEQ_BYTES; k++) {
    if ((b[k]! & 0xf0) !== BASE[d]) return -1;
    s |= (b[k]! & 0xf) << (4 * k);
  }
  return s;
}

/** Whose a byte is: a domain, the freed-page canary, or something else (host metadata). */
function owner(b: number): string {
  if (b === FREED) return 'freed-page canary 0xaa';
  for (const d of DOMS) if ((b & 0xf0) === BASE[d]) return `domain ${DOMAINS[d]} (${d})`;
  return 'host metadata or unknown';
}

export interface LeakReport {
  pages_delivered: number;
  bytes_checked: number;
  canaries_checked: number;
  violations: number;
  by_source: Record<string, number>;
  first: string | null;
}

export const rxZerocopyScenario: PairScenario = {
  name: 'rx-zerocopy',
  description: 'RX zero copy: one process receives its flow by reference from a bound queue while another host sends three trust domains\' traffic; every page it can see checked for other domains\' bytes, canaries and metadata',
  maxCycles: 20_000_000_000,
  options: ['frames', 'iommu', 'mode', 'payload'],
  setup(seed, opts = {}) {
    const frames = opts.frames ?? 2000;
    const mode: ZcrxMode = opts.mode ?? 'single';
    const maxPayload = Math.max(16, Math.min(opts.payload ?? 1472, 1472));
    const iommu = opts.iommu ?? 'strict';
    const hosts = [scenarioHost(iommu), scenarioHost(iommu)] as const;
    const AREA_PAGES = 64;
    const leak: LeakReport = { pages_delivered: 0, bytes_checked: 0, canaries_checked: 0, violations: 0, by_source: {}, first: null };
    const rx = { A: 0, B: 0, C: 0, bad: 0 };
    const sent = { A: 0, B: 0, C: 0 };
    let ifq: ZcrxIfq | null = null;
    let drops = 0;
    let doneAt = 0;

    const violation = (msg: string, src: string): void => {
      leak.violations++;
      leak.by_source[src] = (leak.by_source[src] ?? 0) + 1;
      leak.first ??= msg;
    };

    /** Check one delivered buffer as A sees it: the payload exact, the rest of the page 0 or A's. */
    const checkPage = (p: NetProcess, view: number, c: ZcrxCqe, want: Uint8Array | null): void => {
      const pageVa = view + (c.off & ~(PAGE_SIZE - 1));
      const page = p.proc.mm.copy_from_user(pageVa, PAGE_SIZE)!;
      const at = c.off % PAGE_SIZE;
      leak.pages_delivered++;
      leak.bytes_checked += PAGE_SIZE;
      const k = c.off >>> 12;
      for (let i = 0; i < PAGE_SIZE; i++) {
        const b = page[i]!;
        const inPayload = i >= at && i < at + c.len;
        if (inPayload) {
          leak.canaries_checked++;
          if (want && b !== want[i - at]) {
            violation(`area buffer ${k} (pfn 0x${ifq!.page(k).pfn.toString(16)}) delivered to domain ${DOMAINS.A}: payload byte ${i - at} is 0x${b.toString(16)}, expected 0x${want[i - at]!.toString(16)} (${owner(b)})`, owner(b));
            return;
          }
          continue;
        }
        if (b === 0 || (b & 0xf0) === BASE.A) continue;
        violation(`area buffer ${k} (pfn 0x${ifq!.page(k).pfn.toString(16)}) delivered to domain ${DOMAINS.A} shows 0x${b.toString(16)} at page offset ${i}: ${owner(b)}`, owner(b));
        return;
      }
    };

    const sender = async (h: NetHost): Promise<void> => {
      const rng = new Rng(seed * 7919 + 1);
      const procs = Object.fromEntries(DOMS.map((d) => {
        const p = h.spawn(DOMAINS[d]);
        return [d, { p, fd: p.sys.socket(AF_INET, SOCK_DGRAM), buf: p.proc.mm.mmap(2 * PAGE_SIZE) }];
      })) as Record<Dom, { p: NetProcess; fd: number; buf: number }>;
      await h.dev.sleep(1_500_000); // the receiver binds and registers first
      while (sent.A < frames) {
        const r = rng.int(0, 3);
        const d: Dom = r < 2 ? 'A' : r === 2 ? 'B' : 'C';
        const n = rng.int(SEQ_BYTES, maxPayload);
        const s = procs[d];
        s.p.proc.mm.copy_to_user(s.buf, canaryPayload(d, sent[d], n));
        const ret = await s.p.sys.sendto(s.fd, s.buf, n, 0, sockaddr_in(hostAddr(1), PORTS[d]));
        if (ret !== n) throw new Error(`send ${d}: ${ret < 0 ? errnoName(ret) : ret}`);
        sent[d]++;
        await h.dev.sleep(rng.int(600, 3000));
      }
    };

    const receiver = async (h: NetHost): Promise<void> => {
      // C's memory, freed just before the area is made: page poisoning leaves the freed-page canary
      // in it, and the area's pages come from those freed last
      const c0 = h.spawn(DOMAINS.C);
      const cva = c0.proc.mm.mmap(AREA_PAGES * PAGE_SIZE);
      c0.proc.mm.copy_to_user(cva, canaryPayload('C', 0, AREA_PAGES * PAGE_SIZE));
      c0.proc.mm.munmap(cva);
      const a = h.spawn(DOMAINS.A);
      if (mode !== 'exclusive') a.proc.cap_net_admin = true;
      const zfd = await a.sys.zcrx_register({ rxq: 1, mode, area_size: AREA_PAGES * PAGE_SIZE, rq_entries: AREA_PAGES, flow: { protocol: IPPROTO_UDP, dport: PORTS.A } });
      if (zfd < 0) throw new Error(`zcrx_register: ${errnoName(zfd)}`);
      ifq = a.sys.zcrx_ifq(zfd);
      const view = a.sys.zcrx_mmap(zfd);
      const afd = a.sys.socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK);
      a.sys.bind(afd, sockaddr_in(0, PORTS.A));
      // B's flow onto A's queue (an administrator's filter, or a mistake): the trust-domain rule's case
      const et = new ZcnicEthtool(h.eth.nd);
      const e = await et.set_rxnfc_insert({ location: 12, ipProto: IPPROTO_UDP, dstPort: PORTS.B, action: 1 });
      if (e) throw new Error(`filter: ${errnoName(e)}`);
      const drops0 = (await et.get_ethtool_stats()).rx_drop_nodesc ?? 0;
      const others = (['B', 'C'] as const).map((d) => {
        const p = h.spawn(DOMAINS[d]);
        const fd = p.sys.socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK);
        p.sys.bind(fd, sockaddr_in(0, PORTS[d]));
        return { d, p, fd, buf: p.proc.mm.mmap(2 * PAGE_SIZE) };
      });
      const rng = new Rng(seed * 7919 + 2);
      let held: ZcrxCqe[] = [];
      let nextA = 0;
      let cur: { bytes: number[]; cqes: ZcrxCqe[] } = { bytes: [], cqes: [] };
      let idle = 0;
      let starveUntil = 0;
      let nextStarve = 400;
      const give = (cs: readonly ZcrxCqe[]): void => {
        if (cs.length && a.sys.zcrx_refill(zfd, cs.map((c) => ({ off: c.off, len: c.len, __pad: 0 }))) !== cs.length) throw new Error('refill ring full');
      };
      while (idle < 40) {
        let any = false;
        const { ret, cqes } = await a.sys.zcrx_recv(afd, zfd, 32);
        if (ret < 0 && ret !== -EAGAIN) throw new Error(`zcrx_recv: ${errnoName(ret)}`);
        for (const c of cqes) {
          any = true;
          cur.cqes.push(c);
          for (const b of a.proc.mm.copy_from_user(view + c.off, c.len)!) cur.bytes.push(b);
          if (!c.eor) continue;
          const got = Uint8Array.from(cur.bytes);
          const seq = seqOf('A', got);
          if (seq < nextA) rx.bad++;
          nextA = seq + 1;
          const want = seq >= 0 ? canaryPayload('A', seq, got.length) : null;
          let at = 0;
          for (const pc of cur.cqes) {
            checkPage(a, view, pc, want ? want.subarray(at, at + pc.len) : null);
            at += pc.len;
          }
          rx.A++;
          held.push(...cur.cqes);
          cur = { bytes: [], cqes: [] };
        }
        // keep a few buffers a while; every 400 datagrams keep them all for 600,000 cycles (the queue runs dry)
        if (rx.A >= nextStarve) {
          starveUntil = h.dev.clock.cycle + 600_000;
          nextStarve += 400;
        }
        if (h.dev.clock.cycle >= starveUntil) {
          const keep = Math.min(held.length, rng.int(0, 8));
          give(held.slice(0, held.length - keep));
          held = held.slice(held.length - keep);
        }
        for (const o of others) {
          for (;;) {
            const { ret: n } = await o.p.sys.recvfrom(o.fd, o.buf, 2 * PAGE_SIZE);
            if (n < 0) break;
            any = true;
            const b = o.p.proc.mm.copy_from_user(o.buf, n)!;
            const s = seqOf(o.d, b);
            const w = canaryPayload(o.d, Math.max(0, s), n);
            if (s < 0 || b.some((x, i) => x !== w[i])) rx.bad++;
            rx[o.d]++;
          }
        }
        idle = any ? 0 : idle + 1;
        if (!any) await a.sys.poll([{ fd: afd, events: POLLIN }], 50_000);
      }
      give(held);
      drops = ((await et.get_ethtool_stats()).rx_drop_nodesc ?? 0) - drops0;
      await et.set_rxnfc_delete(12);
      doneAt = h.dev.clock.cycle;
    };

    const inst = stackPair({
      hosts, latency: WIRE_LATENCY,
      parts: [sender, receiver],
      check: () => {
        if (leak.violations) throw new Error(`rx-zerocopy: ${leak.violations} leak violation(s); first: ${leak.first}`);
        if (rx.bad) throw new Error(`rx-zerocopy: ${rx.bad} datagram(s) received wrong or out of order`);
        if (rx.A === 0) throw new Error('rx-zerocopy: nothing received zero-copy');
      },
      report: () => {
        const s = ifq?.stats;
        return {
          mode, iommu, frames, sent, received: { A: rx.A, B: rx.B, C: rx.C }, drops_nodesc: drops,
          pages_mapped: s?.delivered ?? 0, copy_fallback: s?.copy_fallback ?? 0,
          pages_cleared: s?.pages_cleared ?? 0, entry_clears: s?.entry_clears ?? 0, reentry_clears: s?.reentry_clears ?? 0,
          clear_cycles_at_seed_cost: (s?.pages_cleared ?? 0) * SEED_CLEAR_CYCLES,
          trust_domain_copies: s?.foreign_copied ?? 0, trust_domain_drops: s?.foreign_dropped ?? 0,
          returns: s?.returned ?? 0, refill_skipped: s ? s.skipped_bad_entry + s.skipped_bad_index + s.skipped_not_held + s.skipped_wrong_process : 0,
          leak, done_at_cycle: doneAt,
          hosts: hosts.map((h) => hostReport(h)),
        };
      },
    });
    return {
      ...inst,
      progress: () => `${sent.A + sent.B + sent.C} sent, ${rx.A} received zero-copy, ${leak.violations} violations`,
      lines: () => {
        const s = ifq?.stats;
        return [
          `rx zero copy mode=${mode} iommu=${iommu}: domain A=${DOMAINS.A} receives by reference; B=${DOMAINS.B} steered onto its queue; C=${DOMAINS.C} elsewhere`,
          `frames received A=${rx.A} (of ${sent.A} sent, ${sent.A - rx.A} dropped) B=${rx.B}/${sent.B} C=${rx.C}/${sent.C}`,
          `pages mapped=${s?.delivered ?? 0} copy fallback=${s?.copy_fallback ?? 0} returns=${s?.returned ?? 0} drops for lack of returned buffers=${drops}`,
          `pages cleared=${s?.pages_cleared ?? 0} (entry ${s?.entry_clears ?? 0}, re-entry ${s?.reentry_clears ?? 0}) = ${(s?.pages_cleared ?? 0) * SEED_CLEAR_CYCLES} cycles at the seed's ${SEED_CLEAR_CYCLES}/page ` +
            `(clearing on every recycle: ${(s?.delivered ?? 0) * SEED_CLEAR_CYCLES})`,
          `copies forced by trust domains=${s?.foreign_copied ?? 0} drops=${s?.foreign_dropped ?? 0}`,
          `leak check: pages delivered=${leak.pages_delivered} canaries checked=${leak.canaries_checked} bytes checked=${leak.bytes_checked} violations=${leak.violations}` +
            (leak.first ? ` first: ${leak.first}` : ''),
        ];
      },
    };
  },
};
