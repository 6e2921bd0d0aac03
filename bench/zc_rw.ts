// make bench, the zero-copy calls of issue 12 on the model (two hosts, UDP, 9000-byte MTU):
// - zc_writev against MSG_ZEROCOPY against a plain copy, at 4 KiB and 64 KiB per call (64 KiB:
//   one zc_writev of eight 8 KiB pairs, eight sendmsg calls of 8 KiB for the other two; up to 16
//   zc_writev calls in flight, the others reuse one buffer as the selftest does): simulated
//   throughput, the driver's DMA mappings and the stack's copies per byte, wall time;
// - received bytes per second with RX zero copy (zcrx_recv + refill ring) against recv's copy;
// - the cost of clearing on pool entry against clearing on every recycle, from the measured cost of
//   one page clear in the model, over the same deliveries.
// The model charges no simulated CPU time for a copy or a clear: the simulated figures differ only
// by what the wire and the rings see; the per-byte and wall figures show the rest.

import { LINK_DEFAULTS } from '../src/abi/link.js';
import { PAGE_SIZE } from '../src/mem/phys.js';
import { IPPROTO_UDP } from '../src/lib/proto.js';
import type { UdpSock } from '../src/net/ipv4/udp.js';
import type { ZcPair } from '../src/net/socket/zc.js';
import { AF_INET, EBUSY, MSG_ZEROCOPY, SOCK_DGRAM, SOL_SOCKET, SO_RCVBUF, SO_ZEROCOPY, sockaddr_in } from '../src/net/socket/uapi.js';
import { scenarioHost } from '../src/host/machine.js';
import { drainErrqueue, hostAddr, type NetHost } from '../src/host/net_host.js';
import { stackPair } from '../src/scenarios/lib/stack_pair.js';
import { runPair, throwIfFailed } from '../src/harness/index.js';
import type { ZcFigure } from './zerocopy.js';

const MTU = 9000;
const PORT = 8700;
/** Bytes per configuration. */
const BYTES = 4 << 20;

type Method = 'zc_writev' | 'msg_zerocopy' | 'copy';

async function pairRun(parts: readonly [(h: NetHost) => Promise<void>, (h: NetHost) => Promise<void>]): Promise<{ simS: number; wallS: number }> {
  const inst = stackPair({ hosts: [scenarioHost('strict'), scenarioHost('strict')], latency: 512, parts, options: [{ mtu: MTU }, { mtu: MTU }] });
  const t0 = performance.now();
  const r = await runPair(inst, ['model', 'model'], { seed: 1, maxCycles: 20_000_000_000 });
  throwIfFailed(r.errors);
  return { simS: (r.cycles * LINK_DEFAULTS.clockPeriodPs) / 1e12, wallS: (performance.now() - t0) / 1000 };
}

/** Send BYTES in calls of `perCall` bytes (datagrams of at most 8 KiB) by `method`; the receiver counts them. */
async function sendBench(method: Method, perCall: number): Promise<{ simBps: number; wallS: number; mapsPerByte: number; copiedPerByte: number }> {
  const dgram = Math.min(perCall, 8192);
  const perCallDgrams = perCall / dgram;
  const calls = Math.floor(BYTES / perCall);
  const total = calls * perCall;
  let rx = 0;
  let maps = 0;
  let copied = 0;
  const t = await pairRun([async (h) => {
    const p = h.spawn();
    const fd = p.sys.socket(AF_INET, SOCK_DGRAM);
    await p.sys.connect(fd, sockaddr_in(hostAddr(1), PORT));
    const maps0 = h.eth.nd.txq.reduce((a, q) => a + q.stats.maps, 0);
    await h.dev.sleep(100_000);
    if (method === 'zc_writev') {
      // a ring of RING calls' areas (head room page + data pages each): up to RING calls in flight
      const RING = 16;
      const areaPages = 1 + Math.ceil(dgram / PAGE_SIZE);
      const base = p.sys.mmap(fd, RING * perCallDgrams * areaPages * PAGE_SIZE);
      for (let c = 0; c < calls; ) {
        const slot = c % RING;
        const pairs: ZcPair[] = Array.from({ length: perCallDgrams }, (_, j) => {
          const area = base + (slot * perCallDgrams + j) * areaPages * PAGE_SIZE;
          return [{ base: area, len: areaPages * PAGE_SIZE }, { base: area + PAGE_SIZE, len: dgram }];
        });
        const r = await p.sys.zc_writev(fd, pairs);
        if (r === -EBUSY) {
          // that slot's previous call is still in flight
          await h.dev.sleep(500);
          await drainErrqueue(p, fd);
          continue;
        }
        if (r !== perCall) throw new Error(`zc_writev: ${r}`);
        c++;
        if (c % RING === 0) await drainErrqueue(p, fd);
      }
    } else {
      if (method === 'msg_zerocopy') p.sys.setsockopt(fd, SOL_SOCKET, SO_ZEROCOPY, 1);
      const buf = p.proc.mm.mmap(perCall);
      for (let c = 0; c < calls; c++) {
        for (let j = 0; j < perCallDgrams; j++) {
          const r = await p.sys.send(fd, buf + j * dgram, dgram, method === 'msg_zerocopy' ? MSG_ZEROCOPY : 0);
          if (r !== dgram) throw new Error(`send: ${r}`);
        }
        if (method === 'msg_zerocopy' && c % 8 === 7) await drainErrqueue(p, fd);
      }
    }
    await h.quiesce();
    await drainErrqueue(p, fd);
    maps = h.eth.nd.txq.reduce((a, q) => a + q.stats.maps, 0) - maps0;
    const sk = (p.proc.fget(fd) as unknown as { sk: UdpSock }).sk;
    copied = sk.tx.copied_bytes;
  }, async (h) => {
    const p = h.spawn();
    const fd = p.sys.socket(AF_INET, SOCK_DGRAM);
    p.sys.bind(fd, sockaddr_in(0, PORT));
    p.sys.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, 4 << 20); // keep up with bursts
    const buf = p.proc.mm.mmap(16 << 10);
    while (rx < total) {
      const { ret } = await p.sys.recvfrom(fd, buf, 16 << 10);
      if (ret <= 0) throw new Error(`recv: ${ret}`);
      rx += ret;
    }
  }]);
  return { simBps: total / t.simS, wallS: t.wallS, mapsPerByte: maps / total, copiedPerByte: copied / total };
}

/** Receive BYTES of 1472-byte datagrams by RX zero copy or by recv's copy. */
async function recvBench(zc: boolean): Promise<{ simBps: number; wallS: number; delivered: number; clears: number }> {
  const n = Math.floor(BYTES / 1472);
  let delivered = 0;
  let clears = 0;
  const t = await pairRun([async (h) => {
    const p = h.spawn();
    const fd = p.sys.socket(AF_INET, SOCK_DGRAM);
    const buf = p.proc.mm.mmap(2048);
    await h.dev.sleep(1_000_000);
    for (let i = 0; i < n; i++) await p.sys.sendto(fd, buf, 1472, 0, sockaddr_in(hostAddr(1), PORT));
  }, async (h) => {
    const p = h.spawn();
    const fd = p.sys.socket(AF_INET, SOCK_DGRAM);
    p.sys.bind(fd, sockaddr_in(0, PORT));
    p.sys.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, 4 << 20);
    let got = 0;
    if (zc) {
      const zfd = await p.sys.zcrx_register({ rxq: 1, mode: 'exclusive', area_size: 256 * PAGE_SIZE, rq_entries: 256, flow: { protocol: IPPROTO_UDP, dport: PORT } });
      if (zfd < 0) throw new Error(`zcrx_register: ${zfd}`);
      p.sys.zcrx_mmap(zfd);
      while (got < n) {
        const { ret, cqes } = await p.sys.zcrx_recv(fd, zfd, 64);
        if (ret <= 0) throw new Error(`zcrx_recv: ${ret}`);
        got += cqes.filter((c) => c.eor).length;
        p.sys.zcrx_refill(zfd, cqes.map((c) => ({ off: c.off, len: c.len, __pad: 0 })));
      }
      const s = p.sys.zcrx_ifq(zfd)!.stats;
      delivered = s.delivered;
      clears = s.pages_cleared;
    } else {
      const buf = p.proc.mm.mmap(2048);
      while (got < n) {
        const { ret } = await p.sys.recvfrom(fd, buf, 2048);
        if (ret !== 1472) throw new Error(`recv: ${ret}`);
        got++;
      }
    }
  }]);
  return { simBps: (n * 1472) / t.simS, wallS: t.wallS, delivered, clears };
}

/** The model's cost of clearing one 4 KiB page (host.cpuFill), in wall ns, over many pages. */
function clearCostNs(): number {
  const h = scenarioHost('strict');
  const pages = Array.from({ length: 256 }, () => h.host.pages.alloc_pages(0xcc0, 0)!);
  const rounds = 40;
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) for (const p of pages) h.host.cpuFill(p.phys, PAGE_SIZE, 0);
  const ns = ((performance.now() - t0) * 1e6) / (rounds * pages.length);
  for (const p of pages) h.host.pages.put_page(p);
  return ns;
}

export async function runZcRwBench(): Promise<ZcFigure[]> {
  const out: ZcFigure[] = [];
  for (const perCall of [4096, 65536]) {
    const k = `${perCall >> 10} KiB`;
    const r = {} as Record<Method, Awaited<ReturnType<typeof sendBench>>>;
    for (const m of ['zc_writev', 'msg_zerocopy', 'copy'] as const) r[m] = await sendBench(m, perCall);
    for (const m of ['zc_writev', 'msg_zerocopy', 'copy'] as const) {
      out.push({ label: `UDP ${k} per call, ${m}: simulated throughput`, value: (r[m].simBps * 8) / 1e9, unit: 'Gbit/s' });
      out.push({ label: `UDP ${k} per call, ${m}: driver DMA mappings per KiB sent`, value: r[m].mapsPerByte * 1024, unit: '/KiB' });
      out.push({ label: `UDP ${k} per call, ${m}: bytes copied by the stack per byte sent`, value: r[m].copiedPerByte, unit: 'B/B' });
    }
    out.push({ label: `UDP ${k} per call, zc_writev / MSG_ZEROCOPY simulated throughput`, value: r.zc_writev.simBps / r.msg_zerocopy.simBps, unit: 'x' });
    out.push({ label: `UDP ${k} per call, zc_writev / copy simulated throughput`, value: r.zc_writev.simBps / r.copy.simBps, unit: 'x' });
    out.push({ label: `UDP ${k} per call, zc_writev / copy wall time of the run`, value: r.zc_writev.wallS / r.copy.wallS, unit: 'x' });
  }
  const zc = await recvBench(true);
  const cp = await recvBench(false);
  out.push({ label: 'RX 1472-byte datagrams, RX zero copy: received simulated throughput', value: (zc.simBps * 8) / 1e9, unit: 'Gbit/s' });
  out.push({ label: 'RX 1472-byte datagrams, recv copy: received simulated throughput', value: (cp.simBps * 8) / 1e9, unit: 'Gbit/s' });
  out.push({ label: 'RX zero copy / copy received simulated throughput', value: zc.simBps / cp.simBps, unit: 'x' });
  out.push({ label: 'RX zero copy / copy wall time of the run', value: zc.wallS / cp.wallS, unit: 'x' });
  const ns = clearCostNs();
  out.push({ label: 'clearing one 4 KiB page in the model (host.cpuFill), measured', value: ns, unit: 'ns' });
  out.push({ label: `RX zero copy over ${zc.delivered} deliveries: pages cleared on pool entry`, value: zc.clears, unit: 'pages' });
  out.push({ label: 'clear on pool entry: cost of the run', value: (zc.clears * ns) / 1e6, unit: 'ms' });
  out.push({ label: 'clear on every recycle: cost of the same run', value: (zc.delivered * ns) / 1e6, unit: 'ms' });
  out.push({ label: 'clear on every recycle / clear on pool entry', value: zc.delivered / Math.max(1, zc.clears), unit: 'x' });
  return out;
}
