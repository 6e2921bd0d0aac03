// DMA-API debugging in the spirit of kernel/dma/debug.c (CONFIG_DMA_API_DEBUG): every mapping is
// an entry with its owner and history, and driver mistakes are reported with the kernel's
// messages (bad unmap size/direction/function, unchecked map errors, syncs outside a mapping,
// leaks at driver unbind). Because the model also sees the device's side, it checks what the
// kernel cannot: device accesses outside any live mapping or against its direction, CPU reads of
// device-written data without sync_for_cpu, device reads of CPU-written data without
// sync_for_device, and accesses to freed (poisoned) pages.

import { HostModelError } from '../mem/errors.js';
import { hex } from '../lib/hex.js';
import type { KernelLog } from '../mem/klog.js';
import type { PageAllocator } from '../mem/page_alloc.js';
import { PAGE_SIZE } from '../mem/phys.js';
import type { SimClock } from '../platform/clock.js';
import type { Device } from './device.js';
import {
  DIR_NAME,
  DMA_ATTR_SKIP_CPU_SYNC,
  DMA_BIDIRECTIONAL,
  DMA_FROM_DEVICE,
  DMA_TO_DEVICE,
  type DmaDataDirection,
  type dma_addr_t,
} from './types.js';

export type DmaDebugType = 'single' | 'scatter-gather' | 'coherent';

export type DmaDebugCode =
  // what kernel/dma/debug.c reports
  | 'unmap_not_mapped'
  | 'double_unmap'
  | 'unmap_wrong_size'
  | 'unmap_wrong_direction'
  | 'unmap_wrong_function'
  | 'unmap_sg_wrong_nents'
  | 'map_error_not_checked'
  | 'sync_not_mapped'
  | 'sync_out_of_range'
  | 'sync_wrong_direction'
  | 'sync_device_readonly_for_cpu'
  | 'sync_device_writeonly_for_device'
  | 'leak_at_unbind'
  // what only a model that sees both sides can report
  | 'device_access_unmapped'
  | 'device_write_to_readonly_mapping'
  | 'device_read_of_writeonly_mapping'
  | 'cpu_read_without_sync_for_cpu'
  | 'device_read_without_sync_for_device'
  | 'device_access_freed_page'
  | 'cpu_read_freed_page';

export interface DmaDebugEvent {
  readonly op: string;
  readonly cycle: number;
  readonly detail: string;
}

/** A piece of the original buffer: bytes [devOff, devOff+len) of the mapping are at `pa`. */
export interface PhysPiece {
  readonly devOff: number;
  readonly pa: bigint;
  readonly len: number;
}

export interface DmaDebugEntryInfo {
  readonly device: string;
  readonly type: DmaDebugType;
  readonly dev_addr: dma_addr_t;
  readonly size: number;
  readonly paddr: bigint;
  readonly direction: string;
  /** Driver (and context tag, if the driver set one) that made the mapping. */
  readonly owner: string;
  readonly mappedAtCycle: number;
  readonly unmappedAtCycle: number | null;
  readonly history: readonly DmaDebugEvent[];
  readonly stack: string | null;
}

export interface DmaDebugReport {
  readonly code: DmaDebugCode;
  /** The log line, with the kernel's wording where the kernel has one. */
  readonly message: string;
  readonly device: string;
  readonly driver: string | null;
  readonly addr: bigint;
  readonly size: number;
  readonly cycle: number;
  readonly entry: DmaDebugEntryInfo | null;
}

export class DmaDebugError extends HostModelError<'E_DMA_DEBUG'> {
  constructor(
    message: string,
    readonly reports: readonly DmaDebugReport[],
  ) {
    super('E_DMA_DEBUG', message);
  }
}

export interface DmaDebugOptions {
  /** Record a JS stack at every map (slow; for hunting a leak). */
  readonly captureStacks?: boolean;
  /** Events kept per entry (default 16, oldest dropped; the map event is always kept). */
  readonly historyDepth?: number;
  /** Reports printed to the kernel log (the kernel prints 1 by default); all are recorded. */
  readonly printLimit?: number;
  /** Reports kept in memory (default 10000); the rest are only counted. */
  readonly maxReports?: number;
}

type Interval = [number, number];

/** Add [lo,hi) to a sorted list of disjoint intervals. */
function addInterval(list: Interval[], lo: number, hi: number): void {
  let l = lo;
  let h = hi;
  const out: Interval[] = [];
  let placed = false;
  for (const iv of list) {
    if (iv[1] < l) out.push(iv);
    else if (iv[0] > h) {
      if (!placed) {
        out.push([l, h]);
        placed = true;
      }
      out.push(iv);
    } else {
      l = Math.min(l, iv[0]);
      h = Math.max(h, iv[1]);
    }
  }
  if (!placed) out.push([l, h]);
  list.splice(0, list.length, ...out);
}

/** Remove [lo,hi) from the list. */
function subInterval(list: Interval[], lo: number, hi: number): void {
  const out: Interval[] = [];
  for (const [a, b] of list) {
    if (b <= lo || a >= hi) out.push([a, b]);
    else {
      if (a < lo) out.push([a, lo]);
      if (b > hi) out.push([hi, b]);
    }
  }
  list.splice(0, list.length, ...out);
}

function overlaps(list: readonly Interval[], lo: number, hi: number): Interval | null {
  for (const [a, b] of list) if (a < hi && lo < b) return [Math.max(a, lo), Math.min(b, hi)];
  return null;
}

class Entry {
  live = true;
  map_err_checked = false;
  unmappedAtCycle: number | null = null;
  readonly history: DmaDebugEvent[] = [];
  /** Bytes the device wrote that the CPU has not synced (offsets into the mapping). */
  readonly devDirty: Interval[] = [];
  /** Bytes the CPU wrote after map that it has not synced for the device. */
  readonly cpuDirty: Interval[] = [];
  cpuReadReported = false;
  constructor(
    readonly dev: Device,
    readonly type: DmaDebugType,
    readonly dev_addr: bigint,
    readonly size: number,
    readonly paddr: bigint,
    readonly direction: DmaDataDirection,
    readonly pieces: readonly PhysPiece[],
    readonly owner: string,
    readonly mappedAtCycle: number,
    readonly stack: string | null,
    readonly sg_call_ents: number,
  ) {}

  get streaming(): boolean {
    return this.type !== 'coherent';
  }

  /** May the device write (or read) through this mapping? */
  allows(write: boolean): boolean {
    if (this.type === 'coherent' || this.direction === DMA_BIDIRECTIONAL) return true;
    return write ? this.direction === DMA_FROM_DEVICE : this.direction === DMA_TO_DEVICE;
  }

  info(): DmaDebugEntryInfo {
    return {
      device: this.dev.name,
      type: this.type,
      dev_addr: this.dev_addr,
      size: this.size,
      paddr: this.paddr,
      direction: DIR_NAME[this.direction],
      owner: this.owner,
      mappedAtCycle: this.mappedAtCycle,
      unmappedAtCycle: this.unmappedAtCycle,
      history: [...this.history],
      stack: this.stack,
    };
  }
}

const U = (n: bigint): string => hex(n, 16);

export class DmaDebug {
  readonly reports: DmaDebugReport[] = [];
  /** All reports, including those not kept (the kernel's error_count). */
  errorCount = 0;
  /** Tag recorded as part of the owner of the next mappings (e.g. "rxq0"); null for none. */
  context: string | null = null;

  private readonly exact = new Map<string, Entry[]>();
  private readonly bus = new Map<number, Map<number, Set<Entry>>>();
  private readonly retiredBus = new Map<number, Map<number, Entry>>();
  private readonly retired = new Map<string, Entry>();
  private readonly phys = new Map<number, Set<Entry>>();
  private readonly byDevice = new Map<number, Set<Entry>>();
  private readonly opts: Required<DmaDebugOptions>;
  private printed = 0;

  constructor(
    private readonly klog: KernelLog,
    private readonly clock: SimClock,
    private readonly pages: PageAllocator | null,
    opts: DmaDebugOptions = {},
  ) {
    this.opts = {
      captureStacks: opts.captureStacks ?? false,
      historyDepth: opts.historyDepth ?? 16,
      printLimit: opts.printLimit ?? 16,
      maxReports: opts.maxReports ?? 10000,
    };
    pages?.freeHooks.push((pfn, n) => this.pagesFreed(pfn, n));
  }

  // ---- reporting -----------------------------------------------------------------------------

  private report(code: DmaDebugCode, dev: Device, addr: bigint, size: number, text: string, entry: Entry | null, cycle = this.clock.cycle): void {
    const message = `DMA-API: ${dev.driver ?? 'pci'} ${dev.name}: ${text}`;
    const r: DmaDebugReport = { code, message, device: dev.name, driver: dev.driver, addr, size, cycle, entry: entry?.info() ?? null };
    this.errorCount++;
    if (this.reports.length < this.opts.maxReports) this.reports.push(r);
    if (this.printed < this.opts.printLimit) {
      this.printed++;
      this.klog.printk('warn', message, true);
      if (entry !== null) {
        this.klog.printk(
          'warn',
          `DMA-API: mapping ${U(entry.dev_addr)}+${entry.size} (${entry.type}, ${DIR_NAME[entry.direction]}) by ${entry.owner} ` +
            `at cycle ${entry.mappedAtCycle}: ${entry.history.map((e) => `${e.op}@${e.cycle}${e.detail ? `(${e.detail})` : ''}`).join(' ')}`,
        );
      }
    }
  }

  private event(e: Entry, op: string, detail = '', cycle = this.clock.cycle): void {
    e.history.push({ op, cycle, detail });
    // Keep the map event and the most recent ones.
    if (e.history.length > this.opts.historyDepth) e.history.splice(1, 1);
  }

  /** Reports so far with the given code. */
  /**
   * Take the reports of `code` that a test provoked on purpose (and checks), so the end-of-run
   * check sees only the rest.
   */
  consume(code: DmaDebugCode): DmaDebugReport[] {
    const mine = this.reports.filter((r) => r.code === code);
    this.reports.splice(0, this.reports.length, ...this.reports.filter((r) => r.code !== code));
    this.errorCount -= mine.length;
    return mine;
  }

  reportsOf(code: DmaDebugCode): DmaDebugReport[] {
    return this.reports.filter((r) => r.code === code);
  }

  /** Live mappings, optionally of one device. */
  liveEntries(dev?: Device): DmaDebugEntryInfo[] {
    const out: DmaDebugEntryInfo[] = [];
    for (const [id, set] of this.byDevice) {
      if (dev !== undefined && id !== dev.id) continue;
      for (const e of set) out.push(e.info());
    }
    return out;
  }

  /** Throw if anything was reported (and, with checkLeaks, if any mapping is still live). */
  assertClean(checkLeaks = false): void {
    const leaks = checkLeaks ? this.liveEntries() : [];
    if (this.errorCount === 0 && leaks.length === 0) return;
    const lines = this.reports.slice(0, 10).map((r) => `  [${r.code}] ${r.message} (cycle ${r.cycle})`);
    for (const l of leaks.slice(0, 10)) lines.push(`  [live] ${U(l.dev_addr)}+${l.size} ${l.type} ${l.direction} by ${l.owner} at cycle ${l.mappedAtCycle}`);
    throw new DmaDebugError(`dma-debug: ${this.errorCount} error(s), ${leaks.length} live mapping(s)\n${lines.join('\n')}`, this.reports);
  }

  // ---- indexes -------------------------------------------------------------------------------

  private key(dev: Device, addr: bigint): string {
    return `${dev.id}:${addr}`;
  }

  private busPfns(e: { dev_addr: bigint; size: number }): [number, number] {
    const lo = Number(e.dev_addr / BigInt(PAGE_SIZE));
    const hi = Number((e.dev_addr + BigInt(Math.max(e.size, 1)) - 1n) / BigInt(PAGE_SIZE));
    return [lo, hi];
  }

  private physPfns(e: Entry, f: (pfn: number) => void): void {
    for (const p of e.pieces) {
      const lo = Number(p.pa / BigInt(PAGE_SIZE));
      const hi = Number((p.pa + BigInt(Math.max(p.len, 1)) - 1n) / BigInt(PAGE_SIZE));
      for (let pfn = lo; pfn <= hi; pfn++) f(pfn);
    }
  }

  private add(e: Entry): void {
    const k = this.key(e.dev, e.dev_addr);
    const list = this.exact.get(k);
    if (list === undefined) this.exact.set(k, [e]);
    else list.push(e);
    let devBus = this.bus.get(e.dev.id);
    if (devBus === undefined) this.bus.set(e.dev.id, (devBus = new Map()));
    const [lo, hi] = this.busPfns(e);
    for (let p = lo; p <= hi; p++) {
      let s = devBus.get(p);
      if (s === undefined) devBus.set(p, (s = new Set()));
      s.add(e);
    }
    if (e.streaming) this.physPfns(e, (pfn) => this.physAdd(pfn, e));
    let set = this.byDevice.get(e.dev.id);
    if (set === undefined) this.byDevice.set(e.dev.id, (set = new Set()));
    set.add(e);
  }

  private physAdd(pfn: number, e: Entry): void {
    let s = this.phys.get(pfn);
    if (s === undefined) this.phys.set(pfn, (s = new Set()));
    s.add(e);
  }

  private physDrop(e: Entry): void {
    this.physPfns(e, (pfn) => {
      const s = this.phys.get(pfn);
      if (s === undefined) return;
      s.delete(e);
      if (s.size === 0) this.phys.delete(pfn);
    });
  }

  private remove(e: Entry, keepDirty: boolean): void {
    e.live = false;
    e.unmappedAtCycle = this.clock.cycle;
    const k = this.key(e.dev, e.dev_addr);
    const list = this.exact.get(k);
    if (list !== undefined) {
      list.splice(list.indexOf(e), 1);
      if (list.length === 0) this.exact.delete(k);
    }
    const devBus = this.bus.get(e.dev.id)!;
    let retiredBus = this.retiredBus.get(e.dev.id);
    if (retiredBus === undefined) this.retiredBus.set(e.dev.id, (retiredBus = new Map()));
    const [lo, hi] = this.busPfns(e);
    for (let p = lo; p <= hi; p++) {
      const s = devBus.get(p);
      s?.delete(e);
      if (s?.size === 0) devBus.delete(p);
      retiredBus.set(p, e);
    }
    this.byDevice.get(e.dev.id)?.delete(e);
    // A buffer unmapped with SKIP_CPU_SYNC while the device's data was never synced stays
    // tracked: a CPU read of it is still a read of stale data.
    if (!keepDirty || e.devDirty.length === 0) this.physDrop(e);
    e.cpuDirty.length = 0;
    this.retired.delete(k);
    this.retired.set(k, e);
    if (this.retired.size > 4096) this.retired.delete(this.retired.keys().next().value!);
  }

  /** bucket_find_exact: prefer an entry that matches size and direction too. */
  private findExact(dev: Device, addr: bigint, size: number, dir: DmaDataDirection): Entry | null {
    const list = this.exact.get(this.key(dev, addr));
    if (list === undefined || list.length === 0) return null;
    return list.find((e) => e.size === size && e.direction === dir) ?? list[0]!;
  }

  /** bucket_find_contain: the live entry of dev containing addr. */
  private findContaining(dev: Device, addr: bigint): Entry | null {
    const s = this.bus.get(dev.id)?.get(Number(addr / BigInt(PAGE_SIZE)));
    if (s === undefined) return null;
    for (const e of s) if (e.dev_addr <= addr && addr < e.dev_addr + BigInt(e.size)) return e;
    return null;
  }

  private newEntry(dev: Device, type: DmaDebugType, dev_addr: bigint, size: number, paddr: bigint, dir: DmaDataDirection, pieces: readonly PhysPiece[], sgEnts = 0): Entry {
    const owner = `${dev.driver ?? 'pci'} ${dev.name}${this.context !== null ? ` [${this.context}]` : ''}`;
    const stack = this.opts.captureStacks ? (new Error().stack ?? '').split('\n').slice(3, 12).join('\n') : null;
    const e = new Entry(dev, type, dev_addr, size, paddr, dir, pieces, owner, this.clock.cycle, stack, sgEnts);
    this.event(e, 'map', `${DIR_NAME[dir]} pa ${hex(paddr)}`);
    this.add(e);
    return e;
  }

  // ---- kernel hooks --------------------------------------------------------------------------

  /** debug_dma_map_page / debug_dma_map_single. */
  debug_dma_map_page(dev: Device, paddr: bigint, size: number, dir: DmaDataDirection, dma_addr: dma_addr_t): void {
    this.newEntry(dev, 'single', dma_addr, size, paddr, dir, [{ devOff: 0, pa: paddr, len: size }]);
  }

  /** debug_dma_mapping_error: the driver checked this handle. */
  debug_dma_mapping_error(dev: Device, dma_addr: dma_addr_t): void {
    const list = this.exact.get(this.key(dev, dma_addr));
    const e = list?.find((x) => !x.map_err_checked);
    if (e !== undefined) e.map_err_checked = true;
  }

  /** check_unmap for single mappings. */
  debug_dma_unmap_page(dev: Device, dma_addr: dma_addr_t, size: number, dir: DmaDataDirection, attrs: number): void {
    this.checkUnmap(dev, 'single', dma_addr, size, dir, attrs, 0);
  }

  debug_dma_map_sg(dev: Device, segs: readonly { dma_address: bigint; dma_length: number; paddr: bigint; pieces: readonly PhysPiece[] }[], nents: number, dir: DmaDataDirection): void {
    for (const s of segs) {
      const e = this.newEntry(dev, 'scatter-gather', s.dma_address, s.dma_length, s.paddr, dir, s.pieces, nents);
      // dma_map_sg's count is the error check.
      e.map_err_checked = true;
    }
  }

  debug_dma_unmap_sg(dev: Device, segs: readonly { dma_address: bigint; dma_length: number }[], nents: number, dir: DmaDataDirection, attrs: number): void {
    for (const s of segs) this.checkUnmap(dev, 'scatter-gather', s.dma_address, s.dma_length, dir, attrs, nents);
  }

  debug_dma_alloc_coherent(dev: Device, size: number, dma_addr: dma_addr_t, cpu_addr: bigint): void {
    const e = this.newEntry(dev, 'coherent', dma_addr, size, cpu_addr, DMA_BIDIRECTIONAL, []);
    e.map_err_checked = true;
  }

  debug_dma_free_coherent(dev: Device, size: number, dma_addr: dma_addr_t): void {
    this.checkUnmap(dev, 'coherent', dma_addr, size, DMA_BIDIRECTIONAL, 0, 0);
  }

  private checkUnmap(dev: Device, type: DmaDebugType, addr: bigint, size: number, dir: DmaDataDirection, attrs: number, nents: number): void {
    const e = this.findExact(dev, addr, size, dir);
    if (e === null) {
      const old = this.retired.get(this.key(dev, addr)) ?? null;
      const text = `device driver tries to free DMA memory it has not allocated [device address=${U(addr)}] [size=${size} bytes]`;
      if (old !== null) this.report('double_unmap', dev, addr, size, `${text} (double unmap: unmapped at cycle ${old.unmappedAtCycle ?? '?'})`, old);
      else this.report('unmap_not_mapped', dev, addr, size, text, null);
      return;
    }
    this.event(e, type === 'coherent' ? 'free' : 'unmap', attrs & DMA_ATTR_SKIP_CPU_SYNC ? 'SKIP_CPU_SYNC' : '');
    if (size !== e.size) {
      this.report('unmap_wrong_size', dev, addr, size,
        `device driver frees DMA memory with different size [device address=${U(addr)}] [map size=${e.size} bytes] [unmap size=${size} bytes]`, e);
    }
    if (type !== e.type) {
      this.report('unmap_wrong_function', dev, addr, size,
        `device driver frees DMA memory with wrong function [device address=${U(addr)}] [size=${e.size} bytes] [mapped as ${e.type}] [unmapped as ${type}]`, e);
    }
    if (type === 'scatter-gather' && e.sg_call_ents !== nents) {
      this.report('unmap_sg_wrong_nents', dev, addr, size,
        `device driver frees DMA sg list with different entry count [map count=${e.sg_call_ents}] [unmap count=${nents}]`, e);
    }
    if (dir !== e.direction) {
      this.report('unmap_wrong_direction', dev, addr, size,
        `device driver frees DMA memory with different direction [device address=${U(addr)}] [size=${e.size} bytes] [mapped with ${DIR_NAME[e.direction]}] [unmapped with ${DIR_NAME[dir]}]`, e);
    }
    if (!e.map_err_checked) {
      this.report('map_error_not_checked', dev, addr, size,
        `device driver failed to check map error[device address=${U(addr)}] [size=${e.size} bytes] [mapped as ${e.type}]`, e);
    }
    // Unmap without SKIP_CPU_SYNC syncs for the CPU (what swiotlb copies back).
    const synced = !(attrs & DMA_ATTR_SKIP_CPU_SYNC) && (e.direction === DMA_FROM_DEVICE || e.direction === DMA_BIDIRECTIONAL);
    if (synced) e.devDirty.length = 0;
    this.remove(e, true);
  }

  /** check_sync. */
  private checkSync(dev: Device, addr: bigint, size: number, dir: DmaDataDirection, to_cpu: boolean): void {
    const e = this.findContaining(dev, addr);
    if (e === null) {
      this.report('sync_not_mapped', dev, addr, size,
        `device driver tries to sync DMA memory it has not allocated [device address=${U(addr)}] [size=${size} bytes]`, null);
      return;
    }
    const off = Number(addr - e.dev_addr);
    this.event(e, to_cpu ? 'sync_for_cpu' : 'sync_for_device', `+${off} ${size}`);
    if (off + size > e.size) {
      this.report('sync_out_of_range', dev, addr, size,
        `device driver syncs DMA memory outside allocated range [device address=${U(e.dev_addr)}] [allocation size=${e.size} bytes] [sync offset+size=${off + size}]`, e);
    }
    if (e.direction !== DMA_BIDIRECTIONAL) {
      if (dir !== e.direction) {
        this.report('sync_wrong_direction', dev, addr, size,
          `device driver syncs DMA memory with different direction [device address=${U(addr)}] [size=${e.size} bytes] [mapped with ${DIR_NAME[e.direction]}] [synced with ${DIR_NAME[dir]}]`, e);
      }
      if (to_cpu && e.direction !== DMA_FROM_DEVICE && dir !== DMA_TO_DEVICE) {
        this.report('sync_device_readonly_for_cpu', dev, addr, size,
          `device driver syncs device read-only DMA memory for cpu [device address=${U(addr)}] [size=${e.size} bytes] [mapped with ${DIR_NAME[e.direction]}] [synced with ${DIR_NAME[dir]}]`, e);
      }
      if (!to_cpu && e.direction !== DMA_TO_DEVICE && dir !== DMA_FROM_DEVICE) {
        this.report('sync_device_writeonly_for_device', dev, addr, size,
          `device driver syncs device write-only DMA memory to device [device address=${U(addr)}] [size=${e.size} bytes] [mapped with ${DIR_NAME[e.direction]}] [synced with ${DIR_NAME[dir]}]`, e);
      }
    }
    const end = Math.min(off + size, e.size);
    if (to_cpu) {
      subInterval(e.devDirty, off, end);
      if (e.devDirty.length === 0) e.cpuReadReported = false;
    } else subInterval(e.cpuDirty, off, end);
  }

  debug_dma_sync_single_for_cpu(dev: Device, addr: dma_addr_t, size: number, dir: DmaDataDirection): void {
    this.checkSync(dev, addr, size, dir, true);
  }

  debug_dma_sync_single_for_device(dev: Device, addr: dma_addr_t, size: number, dir: DmaDataDirection): void {
    this.checkSync(dev, addr, size, dir, false);
  }

  /** dma_debug_device_change(BUS_NOTIFY_UNBOUND_DRIVER): every live mapping is a leak. */
  driverUnbind(dev: Device): void {
    const live = [...(this.byDevice.get(dev.id) ?? [])];
    const first = live[0];
    if (first === undefined) return;
    this.klog.printk(
      'err',
      `DMA-API: ${dev.driver ?? 'pci'} ${dev.name}: device driver has pending DMA allocations while released from device [count=${live.length}]\n` +
        `One of leaked entries details: [device address=${U(first.dev_addr)}] [size=${first.size} bytes] [mapped with ${DIR_NAME[first.direction]}] [mapped as ${first.type}]`,
    );
    const saved = this.printed;
    this.printed = this.opts.printLimit; // one log line above stands for all of them
    for (const e of live) {
      this.report('leak_at_unbind', dev, e.dev_addr, e.size,
        `leaked ${e.type} mapping [device address=${U(e.dev_addr)}] [size=${e.size} bytes] [mapped with ${DIR_NAME[e.direction]}] by ${e.owner} at cycle ${e.mappedAtCycle}`, e);
    }
    this.printed = saved;
  }

  // ---- the device's and the CPU's accesses ---------------------------------------------------

  /** Check a device access at bus address `addr` against the device's live mappings. */
  deviceAccess(dev: Device, addr: bigint, len: number, write: boolean, cycle: number): void {
    if (len <= 0) return;
    const end = addr + BigInt(len);
    const devBus = this.bus.get(dev.id);
    const cands = new Set<Entry>();
    if (devBus !== undefined) {
      const lo = Number(addr / BigInt(PAGE_SIZE));
      const hi = Number((end - 1n) / BigInt(PAGE_SIZE));
      for (let p = lo; p <= hi; p++) {
        const s = devBus.get(p);
        if (s !== undefined) for (const e of s) if (e.dev_addr < end && addr < e.dev_addr + BigInt(e.size)) cands.add(e);
      }
    }
    // Bytes of the access covered by mappings that allow it.
    const covered: Interval[] = [];
    for (const e of cands) {
      const lo = Number((e.dev_addr > addr ? e.dev_addr : addr) - addr);
      const eEnd = e.dev_addr + BigInt(e.size);
      const hi = Number((eEnd < end ? eEnd : end) - addr);
      if (e.allows(write)) {
        addInterval(covered, lo, hi);
        const off = lo + Number(addr - e.dev_addr);
        const offEnd = hi + Number(addr - e.dev_addr);
        this.event(e, write ? 'dev_write' : 'dev_read', `+${off} ${offEnd - off}`, cycle);
        if (write && e.streaming) {
          addInterval(e.devDirty, off, offEnd);
        } else if (!write && e.streaming) {
          const d = overlaps(e.cpuDirty, off, offEnd);
          if (d !== null) {
            this.report('device_read_without_sync_for_device', dev, addr, len,
              `device read ${U(e.dev_addr + BigInt(d[0]))}+${d[1] - d[0]} of data the CPU wrote after mapping, without dma_sync_*_for_device`, e, cycle);
            subInterval(e.cpuDirty, d[0], d[1]);
          }
        }
      }
    }
    const gap = covered.length === 1 && covered[0]![0] === 0 && covered[0]![1] === len ? null : firstGap(covered, len);
    if (gap === null) return;
    const gapAddr = addr + BigInt(gap);
    const wrongDir = [...cands].find((e) => !e.allows(write) && e.dev_addr <= gapAddr && gapAddr < e.dev_addr + BigInt(e.size));
    if (wrongDir !== undefined) {
      this.event(wrongDir, write ? 'dev_write(denied)' : 'dev_read(denied)', `${U(addr)}+${len}`, cycle);
      if (write) {
        this.report('device_write_to_readonly_mapping', dev, addr, len,
          `device wrote ${U(addr)}+${len} through a ${DIR_NAME[wrongDir.direction]} mapping`, wrongDir, cycle);
      } else {
        this.report('device_read_of_writeonly_mapping', dev, addr, len,
          `device read ${U(addr)}+${len} through a ${DIR_NAME[wrongDir.direction]} mapping`, wrongDir, cycle);
      }
      return;
    }
    const old = this.retiredBus.get(dev.id)?.get(Number(gapAddr / BigInt(PAGE_SIZE))) ?? null;
    const why = old !== null ? ` (stale: last mapping here was unmapped at cycle ${old.unmappedAtCycle ?? '?'})` : '';
    this.report('device_access_unmapped', dev, addr, len,
      `device ${write ? 'wrote' : 'read'} ${U(addr)}+${len} outside any live mapping (first unmapped byte ${U(gapAddr)})${why}`, old, cycle);
  }

  /** Check the physical pages a device access reached (after translation). */
  devicePhysAccess(dev: Device, pa: bigint, len: number, write: boolean, cycle: number): void {
    if (this.pages === null || len <= 0) return;
    const lo = Number(pa / BigInt(PAGE_SIZE));
    const hi = Number((pa + BigInt(len) - 1n) / BigInt(PAGE_SIZE));
    for (let pfn = lo; pfn <= hi; pfn++) {
      if (this.pages.isFreedPage(pfn)) {
        this.report('device_access_freed_page', dev, pa, len,
          `device ${write ? 'wrote' : 'read'} freed page ${hex(BigInt(pfn) * BigInt(PAGE_SIZE))} (use after free, e.g. through a stale IOTLB entry)`, null, cycle);
        return;
      }
    }
  }

  /** A CPU access to physical memory. */
  cpuAccess(pa: bigint, len: number, write: boolean): void {
    if (len <= 0) return;
    const end = pa + BigInt(len);
    const lo = Number(pa / BigInt(PAGE_SIZE));
    const hi = Number((end - 1n) / BigInt(PAGE_SIZE));
    if (!write && this.pages !== null) {
      for (let pfn = lo; pfn <= hi; pfn++) {
        if (this.pages.isFreedPage(pfn)) {
          this.reportCpu('cpu_read_freed_page', pa, len, `CPU read of freed page ${hex(BigInt(pfn) * BigInt(PAGE_SIZE))} (use after free)`, null);
          break;
        }
      }
    }
    const seen = new Set<Entry>();
    for (let pfn = lo; pfn <= hi; pfn++) {
      const s = this.phys.get(pfn);
      if (s === undefined) continue;
      for (const e of s) {
        if (seen.has(e)) continue;
        seen.add(e);
        for (const p of e.pieces) {
          const pEnd = p.pa + BigInt(p.len);
          if (!(p.pa < end && pa < pEnd)) continue;
          const o1 = p.devOff + Number((pa > p.pa ? pa : p.pa) - p.pa);
          const o2 = p.devOff + Number((end < pEnd ? end : pEnd) - p.pa);
          if (write) {
            if (e.live && (e.direction === DMA_TO_DEVICE || e.direction === DMA_BIDIRECTIONAL)) addInterval(e.cpuDirty, o1, o2);
            if (!e.live) {
              // The CPU overwrote stale bytes of an unmapped buffer: they are no longer a hazard.
              subInterval(e.devDirty, o1, o2);
              if (e.devDirty.length === 0) this.physDrop(e);
            }
          } else if (!e.cpuReadReported) {
            const d = overlaps(e.devDirty, o1, o2);
            if (d !== null) {
              e.cpuReadReported = true;
              this.reportCpu('cpu_read_without_sync_for_cpu', pa, len,
                `CPU read ${hex(p.pa + BigInt(d[0] - p.devOff))}+${d[1] - d[0]} of data the device wrote at ${U(e.dev_addr + BigInt(d[0]))} without dma_sync_*_for_cpu` +
                  (e.live ? '' : ' (unmapped with DMA_ATTR_SKIP_CPU_SYNC)'), e);
            }
          }
        }
      }
    }
  }

  private reportCpu(code: DmaDebugCode, pa: bigint, len: number, text: string, e: Entry | null): void {
    if (e !== null) {
      this.event(e, 'cpu_read', `${hex(pa)}+${len}`);
      this.report(code, e.dev, pa, len, text, e);
      return;
    }
    this.errorCount++;
    const message = `DMA-API: cpu: ${text}`;
    const r: DmaDebugReport = { code, message, device: 'cpu', driver: null, addr: pa, size: len, cycle: this.clock.cycle, entry: null };
    if (this.reports.length < this.opts.maxReports) this.reports.push(r);
    if (this.printed < this.opts.printLimit) {
      this.printed++;
      this.klog.printk('warn', message, true);
    }
  }

  /** Freed pages: stale-data records on them are moot now. */
  private pagesFreed(pfn0: number, npages: number): void {
    for (let pfn = pfn0; pfn < pfn0 + npages; pfn++) {
      const s = this.phys.get(pfn);
      if (s === undefined) continue;
      for (const e of [...s]) if (!e.live) this.physDrop(e);
    }
  }
}

/** First offset in [0,len) not covered by the sorted disjoint intervals, or null. */
function firstGap(covered: readonly Interval[], len: number): number | null {
  let cur = 0;
  for (const [a, b] of covered) {
    if (a > cur) return cur;
    cur = Math.max(cur, b);
  }
  return cur < len ? cur : null;
}
