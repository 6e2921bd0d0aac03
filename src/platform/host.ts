// The host platform: physical memory and its page allocator, an optional IOMMU, swiotlb and
// dma-debug, the devices on it, and for each device the DeviceDmaPort the bridge calls for every
// DMA burst. It is also the CPU's door to memory (cpuRead/cpuWrite), so dma-debug sees both sides.
//
// Response codes: an IOMMU fault answers SLVERR (2): the address decoded to the IOMMU, which
// refused it (a PCIe root port answers UR/CA, which AXI bridges report as SLVERR). An access that
// reaches no RAM at all (direct or passthrough) answers DECERR (3): nothing decodes that address.

import type { DmaFault, DmaFaultReason, DmaReadResult, DmaResp, DmaWriteResult, DeviceDmaPort } from './dma_port.js';
import type { SimClock } from './clock.js';
import { HostWatch } from './watch.js';
import { DmaDebug, type DmaDebugOptions } from '../dma/debug.js';
import { Device, type DmaHost } from '../dma/device.js';
import { Swiotlb, swiotlbAdjustNslabs, swiotlbPoolBytes, IO_TLB_DEFAULT_SIZE, IO_TLB_SHIFT, type SwiotlbOptions } from '../dma/swiotlb.js';
import { iommu_dma_init_domain } from '../iommu/dma-iommu.js';
import {
  IOMMU_DOMAIN_BLOCKED,
  IOMMU_DOMAIN_DMA,
  IOMMU_DOMAIN_DMA_FQ,
  IOMMU_DOMAIN_IDENTITY,
  Iommu,
  type IommuOptions,
  type PhysSeg,
} from '../iommu/iommu.js';
import { HostModelError } from '../mem/errors.js';
import { hex } from '../lib/hex.js';
import { KernelLog } from '../mem/klog.js';
import { PageAllocator, type Page } from '../mem/page_alloc.js';
import { PAGE_SHIFT, PhysMem, SZ_4G, type MemLayoutOptions } from '../mem/phys.js';

export interface HostPlatformOptions {
  readonly clock: SimClock;
  readonly memory?: MemLayoutOptions;
  /** An IOMMU (VT-d-like) with its boot policy; false or absent: no IOMMU. */
  readonly iommu?: IommuOptions | false;
  /**
   * 'auto' (default): a 64 MiB pool when RAM extends above 4 GiB (x86 pci_swiotlb_detect).
   * 'off': swiotlb=noforce. 'force': swiotlb=force. Or explicit options (nslabs, nareas, force).
   */
  readonly swiotlb?: 'auto' | 'off' | 'force' | SwiotlbOptions;
  /** CONFIG_DMA_API_DEBUG (default on). */
  readonly dmaDebug?: boolean | DmaDebugOptions;
}

export type DomainTypeName = 'identity' | 'dma' | 'dma_fq' | 'blocked';

export interface CreateDeviceOptions {
  /** dev_name, default "0000:0N:00.0" for the N-th device. */
  readonly name?: string;
  readonly driver?: string | null;
  readonly untrusted?: boolean;
  /** Override the default domain type (as through /sys/kernel/iommu_groups/N/type). */
  readonly domainType?: DomainTypeName;
}

/** A device access that failed, as recorded by the platform (IOMMU faults and bus errors). */
export interface DeviceFault {
  readonly source: 'iommu' | 'bus';
  readonly device: string;
  readonly addr: bigint;
  readonly len: number;
  readonly access: 'read' | 'write';
  readonly reason: DmaFaultReason;
  readonly resp: DmaResp;
  readonly cycle: number;
  readonly message: string;
}

export interface HostStats {
  readonly pagesFree: { readonly DMA32: number; readonly NORMAL: number };
  readonly residentPages: number;
  readonly swiotlb: { readonly nslabs: number; readonly used: number; readonly hiwater: number; readonly bouncedToDevice: number; readonly bouncedFromDevice: number; readonly full: number } | null;
  readonly iotlb: { readonly hits: number; readonly misses: number; readonly evictions: number; readonly flushes: number } | null;
  readonly faults: number;
  readonly dmaDebugErrors: number;
}

/** A work item queued with queue_delayed_work (struct delayed_work, reduced to its due time). */
export interface DelayedWork {
  /** Simulated ns at which it runs. */
  readonly dueNs: number;
}

interface QueuedWork extends DelayedWork {
  readonly fn: (nowNs: number) => void;
}

/** One CPU write into a watched page (see watchWrites). */
export interface CpuWriteRecord {
  readonly pa: bigint;
  readonly len: number;
  readonly cycle: number;
}

/** What watchWrites returns: every CPU write into the page since, until stop(). */
export interface WriteWatch {
  readonly pfn: number;
  readonly npages: number;
  readonly writes: readonly CpuWriteRecord[];
  stop(): void;
}

const DOMAIN_TYPES: Record<DomainTypeName, number> = {
  identity: IOMMU_DOMAIN_IDENTITY,
  dma: IOMMU_DOMAIN_DMA,
  dma_fq: IOMMU_DOMAIN_DMA_FQ,
  blocked: IOMMU_DOMAIN_BLOCKED,
};

export class HostPlatform implements DmaHost {
  readonly clock: SimClock;
  readonly klog: KernelLog;
  readonly mem: PhysMem;
  readonly pages: PageAllocator;
  readonly iommu: Iommu | null;
  readonly swiotlb: Swiotlb | null;
  readonly debug: DmaDebug | null;
  readonly devices: Device[] = [];
  readonly faults: DeviceFault[] = [];
  /** Progress and what the host waits on, for the run harness's stuck check. */
  readonly watch: HostWatch;
  private readonly ports = new Map<Device, DeviceDmaPort>();
  /** Delayed work sorted by due time; ties stay in queueing order. */
  private readonly works: QueuedWork[] = [];
  /** While a delayed work runs: the time it was due (it runs "on time", however late runTimers is). */
  private workNowNs: number | null = null;
  /** Watched pfn -> the watches covering it (see watchWrites). */
  private readonly watches = new Map<number, { readonly records: CpuWriteRecord[] }[]>();

  constructor(opts: HostPlatformOptions) {
    this.clock = opts.clock;
    this.watch = new HostWatch(opts.clock);
    this.klog = new KernelLog(opts.clock);
    this.mem = new PhysMem(opts.memory ?? {});

    // swiotlb: memblock_alloc_low takes the pool top-down below 4 GiB, before the buddy allocator.
    const sw = opts.swiotlb ?? 'auto';
    const hasHighRam = this.mem.regions.some((r) => r.end > SZ_4G);
    const swOpts: SwiotlbOptions | null =
      sw === 'off' ? null : sw === 'force' ? { force: true } : sw === 'auto' ? (hasHighRam ? {} : null) : sw;
    let poolBase: bigint | null = null;
    if (swOpts !== null) {
      const bytes = BigInt(swiotlbPoolBytes(swiotlbAdjustNslabs(swOpts.nslabs ?? IO_TLB_DEFAULT_SIZE >> IO_TLB_SHIFT)));
      const low = [...this.mem.regions].reverse().find((r) => r.zone === 'DMA32' && r.end - r.base >= bytes);
      if (low === undefined) throw new HostModelError('E_NO_SWIOTLB_ROOM', `no room below 4 GiB for a ${bytes}-byte swiotlb pool`);
      poolBase = low.end - bytes;
      this.pages = new PageAllocator(this.mem, { klog: this.klog, reserved: [{ base: poolBase, size: bytes }] });
    } else {
      this.pages = new PageAllocator(this.mem, { klog: this.klog });
    }
    this.swiotlb = poolBase !== null && swOpts !== null ? new Swiotlb(this.mem, this.klog, poolBase, swOpts) : null;
    this.iommu = opts.iommu ? new Iommu(opts.iommu, this.klog) : null;
    const dd = opts.dmaDebug ?? true;
    this.debug = dd === false ? null : new DmaDebug(this.klog, this.clock, this.pages, dd === true ? {} : dd);
  }

  private nowNs(cycle = this.clock.cycle): number {
    return (Math.max(cycle, this.clock.cycle) * this.clock.periodPs) / 1000;
  }

  /** Run the flush-queue timers and IOVA depot work due by the current simulated time. */
  poll(): void {
    this.runTimers(this.nowNs());
  }

  /** Run timers due at `nowNs` (the bridge may call this at every sync). */
  runTimers(nowNs: number): void {
    for (const d of this.devices) d.iommu_domain?.iova_cookie?.runTimers(nowNs);
    this.runDelayedWork(nowNs);
  }

  // ---- delayed work (kernel/workqueue.c, reduced): one queue, simulated time --------------------

  /** ktime_get_ns(): simulated now; inside a delayed work, the time that work was due. */
  ktime_get_ns(): number {
    return this.workNowNs ?? this.nowNs();
  }

  /**
   * queue_delayed_work(system_wq, work, delay): run `fn(nowNs)` once, `delayNs` after
   * ktime_get_ns(), from runTimers. A work queued by a running work counts from the time that
   * work was due, so periodic work keeps its period even when runTimers is called late.
   */
  queue_delayed_work(delayNs: number, fn: (nowNs: number) => void): DelayedWork {
    if (!(delayNs >= 0) || !Number.isFinite(delayNs)) throw new HostModelError('E_BAD_DELAY', `queue_delayed_work: bad delay ${delayNs} ns`);
    const w: QueuedWork = { dueNs: this.ktime_get_ns() + delayNs, fn };
    let i = this.works.length;
    while (i > 0 && this.works[i - 1]!.dueNs > w.dueNs) i--;
    this.works.splice(i, 0, w);
    return w;
  }

  /** cancel_delayed_work(): true if it was still pending. */
  cancel_delayed_work(w: DelayedWork): boolean {
    const i = this.works.indexOf(w as QueuedWork);
    if (i < 0) return false;
    this.works.splice(i, 1);
    return true;
  }

  /** Delayed work still queued. */
  get pendingWork(): number {
    return this.works.length;
  }

  private runDelayedWork(nowNs: number): void {
    if (this.workNowNs !== null) return; // a work that touches the device must not recurse
    while (this.works.length > 0 && this.works[0]!.dueNs <= nowNs) {
      const w = this.works.shift()!;
      this.workNowNs = w.dueNs;
      try {
        w.fn(w.dueNs);
      } finally {
        this.workNowNs = null;
      }
    }
  }

  /** Probe a device: its struct device, IOMMU group and default domain. */
  createDevice(opts: CreateDeviceOptions = {}): Device {
    const n = this.devices.length + 1;
    const dev = new Device(this, {
      name: opts.name ?? `0000:${n.toString(16).padStart(2, '0')}:00.0`,
      driver: opts.driver ?? null,
      untrusted: opts.untrusted ?? false,
    });
    if (this.devices.some((d) => d.name === dev.name)) throw new HostModelError('E_DUP_DEVICE', `device ${dev.name} already exists`);
    if (this.iommu !== null) {
      let type = this.iommu.defaultDomainType(dev.untrusted);
      if (opts.domainType !== undefined) {
        const asked = DOMAIN_TYPES[opts.domainType];
        if (dev.untrusted && asked !== IOMMU_DOMAIN_DMA) {
          this.klog.printk('warn', `iommu: IOMMU_DOMAIN_DMA for untrusted device overrides driver request of ${opts.domainType} for group ${n}, expect issues...`);
        } else type = asked;
      }
      const domain = this.iommu.domain_alloc(type);
      domain.devices.push(dev.name);
      if (domain.isDmaApi) iommu_dma_init_domain(this.iommu, domain, () => this.nowNs());
      dev.iommu_domain = domain;
      if (this.iommu.options.forcedac) dev.pci_32bit_workaround = false;
      this.klog.printk('info', `iommu: Adding to iommu group ${n - 1} (${dev.name}, ${domain.typeName})`);
    }
    this.devices.push(dev);
    return dev;
  }

  /** Unbind the driver: dma-debug reports every mapping still live as a leak. */
  driverUnbind(dev: Device): void {
    this.debug?.driverUnbind(dev);
    dev.driver = null;
  }

  /** The port the bridge calls for this device's DMA bursts. */
  /**
   * @param readGranule the device's bus beat in bytes. An AXI read burst moves whole beats, so
   *   its last beat may run up to readGranule-1 bytes past what the device wanted: dma-debug
   *   checks a read only up to the first byte of its last beat. (The IOMMU still checks all of it.)
   */
  deviceDmaPort(dev: Device, readGranule = 1): DeviceDmaPort {
    let port = this.ports.get(dev);
    if (port === undefined) {
      port = {
        read: (addr, len, cycle) => this.deviceRead(dev, addr, len, cycle, readGranule),
        write: (addr, data, cycle) => this.deviceWrite(dev, addr, data, cycle),
      };
      this.ports.set(dev, port);
    }
    return port;
  }

  private busFault(dev: Device, addr: bigint, len: number, write: boolean, cycle: number): DmaFault {
    const message = `${dev.name}: DMA ${write ? 'write' : 'read'} of ${len} bytes at ${hex(addr)}: no RAM at that address`;
    this.faults.push({ source: 'bus', device: dev.name, addr, len, access: write ? 'write' : 'read', reason: 'no_ram', resp: 3, cycle, message });
    this.klog.ratelimited('bus_fault', 'err', message);
    return { resp: 3, reason: 'no_ram', addr };
  }

  /** Bus address -> physical pieces, or the fault (recorded) the device gets back. */
  private route(dev: Device, addr: bigint, len: number, write: boolean, cycle: number): { ok: true; segs: readonly PhysSeg[] } | { ok: false; fault: DmaFault } {
    this.runTimers(this.nowNs(cycle));
    let segs: readonly PhysSeg[];
    const domain = dev.iommu_domain;
    if (domain !== null && domain.type !== IOMMU_DOMAIN_IDENTITY) {
      const t = this.iommu!.translate(domain, addr, len, write, dev, cycle);
      if (!t.ok) {
        const f = t.fault;
        this.faults.push({ source: 'iommu', device: dev.name, addr: f.addr, len, access: f.access, reason: f.reason, resp: 2, cycle, message: f.message });
        return { ok: false, fault: { resp: 2, reason: f.reason, addr: f.addr } };
      }
      segs = t.segs;
    } else {
      segs = len > 0 ? [{ pa: addr, len }] : [];
    }
    for (const s of segs) if (!this.mem.isRam(s.pa, s.len)) return { ok: false, fault: this.busFault(dev, addr, len, write, cycle) };
    return { ok: true, segs };
  }

  private deviceRead(dev: Device, addr: bigint, len: number, cycle: number, granule: number): DmaReadResult {
    const r = this.route(dev, addr, len, false, cycle);
    if (!r.ok) return r;
    const g = BigInt(granule);
    const wanted = len === 0 ? 0 : Number(((addr + BigInt(len) - 1n) / g) * g + 1n - addr);
    const checked = Math.max(Math.min(len, wanted), Math.min(len, 1));
    this.debug?.deviceAccess(dev, addr, checked, false, cycle);
    const data = new Uint8Array(len);
    let off = 0;
    for (const s of r.segs) {
      const inChecked = Math.min(s.len, checked - off);
      if (inChecked > 0) this.debug?.devicePhysAccess(dev, s.pa, inChecked, false, cycle);
      this.mem.readInto(s.pa, data.subarray(off, off + s.len));
      off += s.len;
    }
    return { ok: true, data };
  }

  private deviceWrite(dev: Device, addr: bigint, data: Uint8Array, cycle: number): DmaWriteResult {
    const r = this.route(dev, addr, data.length, true, cycle);
    if (!r.ok) return r;
    this.debug?.deviceAccess(dev, addr, data.length, true, cycle);
    let off = 0;
    for (const s of r.segs) {
      this.debug?.devicePhysAccess(dev, s.pa, s.len, true, cycle);
      this.mem.write(s.pa, data.subarray(off, off + s.len));
      off += s.len;
    }
    return { ok: true };
  }

  // ---- the CPU's side ----------------------------------------------------------------------

  cpuRead(pa: bigint, len: number): Uint8Array {
    this.debug?.cpuAccess(pa, len, false);
    return this.mem.read(pa, len);
  }

  cpuWrite(pa: bigint, data: Uint8Array): void {
    this.debug?.cpuAccess(pa, data.length, true);
    if (this.watches.size > 0) this.noteWrite(pa, data.length);
    this.mem.write(pa, data);
  }

  cpuFill(pa: bigint, len: number, byte: number): void {
    this.debug?.cpuAccess(pa, len, true);
    if (this.watches.size > 0) this.noteWrite(pa, len);
    this.mem.fill(pa, len, byte);
  }

  /**
   * Record every CPU write (cpuWrite/cpuFill) into `page` until stop(): lets a test prove that
   * nothing on the host writes a page it must only read (the read-only packet-page mode).
   */
  watchWrites(page: Page): WriteWatch {
    const npages = 2 ** page.order;
    const w = { records: [] as CpuWriteRecord[] };
    for (let i = 0; i < npages; i++) {
      const list = this.watches.get(page.pfn + i);
      if (list === undefined) this.watches.set(page.pfn + i, [w]);
      else list.push(w);
    }
    return {
      pfn: page.pfn,
      npages,
      writes: w.records,
      stop: () => {
        for (let i = 0; i < npages; i++) {
          const list = this.watches.get(page.pfn + i);
          const k = list?.indexOf(w) ?? -1;
          if (k >= 0) list!.splice(k, 1);
          if (list?.length === 0) this.watches.delete(page.pfn + i);
        }
      },
    };
  }

  private noteWrite(pa: bigint, len: number): void {
    if (len <= 0) return;
    const lo = Number(pa >> BigInt(PAGE_SHIFT));
    const hi = Number((pa + BigInt(len) - 1n) >> BigInt(PAGE_SHIFT));
    const seen = new Set<object>();
    for (let pfn = lo; pfn <= hi; pfn++) {
      for (const w of this.watches.get(pfn) ?? []) {
        if (seen.has(w)) continue;
        seen.add(w);
        w.records.push({ pa, len, cycle: this.clock.cycle });
      }
    }
  }

  stats(): HostStats {
    const sw = this.swiotlb;
    const tlb = this.iommu?.iotlb.stats;
    return {
      pagesFree: { DMA32: this.pages.nr_free_pages('DMA32'), NORMAL: this.pages.nr_free_pages('NORMAL') },
      residentPages: this.mem.residentPages,
      swiotlb:
        sw === null
          ? null
          : { nslabs: sw.nslabs, used: sw.used, hiwater: sw.used_hiwater, bouncedToDevice: sw.stats.bouncedToDevice, bouncedFromDevice: sw.stats.bouncedFromDevice, full: sw.stats.full },
      iotlb: tlb === undefined ? null : { hits: tlb.hits, misses: tlb.misses, evictions: tlb.evictions, flushes: tlb.flushes },
      faults: this.faults.length,
      dmaDebugErrors: this.debug?.errorCount ?? 0,
    };
  }
}

// The DMA API and the types a driver needs, from one module.
export * from '../dma/types.js';
export * from '../dma/mapping.js';
export * from '../dma/scatterlist.js';
export { Device, dma_get_max_seg_size, dma_get_seg_boundary, type DeviceDmaParms } from '../dma/device.js';
export { DmaDebug, DmaDebugError, type DmaDebugCode, type DmaDebugReport, type DmaDebugEntryInfo } from '../dma/debug.js';
export { Swiotlb, IO_TLB_SIZE, IO_TLB_SEGSIZE, IO_TLB_DEFAULT_SIZE } from '../dma/swiotlb.js';
export { Iommu, type IommuFault, type IommuMode, type IommuOptions } from '../iommu/iommu.js';
export {
  PageAllocator,
  Page,
  GFP_KERNEL,
  GFP_ATOMIC,
  GFP_DMA32,
  __GFP_ZERO,
  __GFP_NOWARN,
  page_to_phys,
  page_ref_count,
  get_page,
  get_order,
  type Gfp,
} from '../mem/page_alloc.js';
export { PhysMem, MemError, PAGE_SIZE, PAGE_SHIFT, PAGE_POISON, SZ_4G, type MemLayoutOptions } from '../mem/phys.js';
export { KernelLog, type LogLine } from '../mem/klog.js';
export { HostModelError } from '../mem/errors.js';
