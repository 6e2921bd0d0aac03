// The IOMMU hardware and its domains (include/linux/iommu.h, drivers/iommu/iommu.c, the VT-d
// driver's page tables and fault unit): one I/O page table per domain with read/write
// permissions per 4 KiB page, a shared IOTLB tagged by domain id, and a fault log whose lines
// follow drivers/iommu/intel/dmar.c. Device accesses are translated page by page; a fault blocks
// the whole burst and leaves memory untouched.

import type { DmaFaultReason } from '../platform/dma_port.js';
import { hex } from '../lib/hex.js';
import type { KernelLog } from '../mem/klog.js';
import { PAGE_SHIFT, PAGE_SIZE } from '../mem/phys.js';
import { Iotlb } from './iotlb.js';
import type { IommuDmaCookie } from './dma-iommu.js';

export const IOMMU_READ = 1 << 0;
export const IOMMU_WRITE = 1 << 1;
export const IOMMU_CACHE = 1 << 2;

export const __IOMMU_DOMAIN_PAGING = 1 << 0;
export const __IOMMU_DOMAIN_DMA_API = 1 << 1;
export const __IOMMU_DOMAIN_PT = 1 << 2;
export const __IOMMU_DOMAIN_DMA_FQ = 1 << 3;
export const IOMMU_DOMAIN_BLOCKED = 0;
export const IOMMU_DOMAIN_IDENTITY = __IOMMU_DOMAIN_PT;
export const IOMMU_DOMAIN_UNMANAGED = __IOMMU_DOMAIN_PAGING;
export const IOMMU_DOMAIN_DMA = __IOMMU_DOMAIN_PAGING | __IOMMU_DOMAIN_DMA_API;
export const IOMMU_DOMAIN_DMA_FQ = IOMMU_DOMAIN_DMA | __IOMMU_DOMAIN_DMA_FQ;

/** Boot-time policy: iommu.passthrough=1, or iommu.strict=1 / 0. */
export type IommuMode = 'strict' | 'lazy' | 'passthrough';

const EINVAL = 22;
const EEXIST = 17;

/** What the fault log needs of a device. */
export interface FaultDevice {
  readonly name: string;
  /** PCI bus:device.function as DMAR prints it, e.g. "01:00.0". */
  readonly bdf: string;
}

export interface IommuFault {
  readonly device: string;
  readonly domainId: number;
  /** The bus address (IOVA) the access failed at. */
  readonly addr: bigint;
  readonly access: 'read' | 'write';
  readonly reason: DmaFaultReason;
  /** VT-d fault reason code (0x02, 0x04, 0x05, 0x06). */
  readonly dmarReason: number;
  readonly cycle: number;
  /** The DMAR log line. */
  readonly message: string;
}

const DMAR_REASON_TEXT: Record<number, string> = {
  0x02: 'Present bit in context entry is clear',
  0x04: 'Access beyond MGAW',
  0x05: 'PTE Write access is not set',
  0x06: 'PTE Read access is not set',
};

export interface IommuGeometry {
  readonly aperture_start: bigint;
  readonly aperture_end: bigint;
  readonly force_aperture: boolean;
}

export class IommuDomain {
  /** IOVA pfn -> (phys pfn * 8 + prot). Numbers, not objects: the table can hold many pages. */
  readonly ptes = new Map<number, number>();
  readonly geometry: IommuGeometry;
  iova_cookie: IommuDmaCookie | null = null;
  readonly devices: string[] = [];

  constructor(
    readonly id: number,
    public type: number,
    mgaw: number,
  ) {
    this.geometry = { aperture_start: 0n, aperture_end: (1n << BigInt(mgaw)) - 1n, force_aperture: true };
  }

  get typeName(): string {
    switch (this.type) {
      case IOMMU_DOMAIN_BLOCKED:
        return 'blocked';
      case IOMMU_DOMAIN_IDENTITY:
        return 'identity';
      case IOMMU_DOMAIN_DMA:
        return 'DMA';
      case IOMMU_DOMAIN_DMA_FQ:
        return 'DMA-FQ';
      default:
        return 'unmanaged';
    }
  }

  /** True for translated DMA-API domains (dma-iommu ops); identity/blocked use dma-direct. */
  get isDmaApi(): boolean {
    return (this.type & __IOMMU_DOMAIN_DMA_API) !== 0;
  }
}

/** struct iommu_iotlb_gather: the range an unmap touched, flushed by iommu_iotlb_sync. */
export interface IommuIotlbGather {
  start: number;
  end: number;
  /** Set by dma-iommu in lazy mode: the flush is left to the flush queue. */
  queued: boolean;
}

export function iommu_iotlb_gather_init(): IommuIotlbGather {
  return { start: Number.MAX_SAFE_INTEGER, end: 0, queued: false };
}

export interface PhysSeg {
  readonly pa: bigint;
  readonly len: number;
}

export type TranslateResult =
  | { readonly ok: true; readonly segs: readonly PhysSeg[] }
  | { readonly ok: false; readonly fault: IommuFault };

export interface IommuOptions {
  readonly mode?: IommuMode;
  /** IOTLB entries (default 64). */
  readonly iotlbEntries?: number;
  /** Maximum guest address width in bits (default 48: 4-level VT-d tables). */
  readonly mgaw?: number;
  /** Flush queue entries (IOVA_DEFAULT_FQ_SIZE 256). */
  readonly fqSize?: number;
  /** Flush queue timeout in ms of simulated time (IOVA_DEFAULT_FQ_TIMEOUT 10). */
  readonly fqTimeoutMs?: number;
  /** IOVA ranges never handed out (default: the x86 MSI window 0xFEE00000-0xFEEFFFFF). */
  readonly reservedRegions?: readonly { readonly start: bigint; readonly end: bigint }[];
  /** iommu.forcedac=1: no 32-bit-first attempt for devices with wider masks. */
  readonly forcedac?: boolean;
  /** Faults kept in memory (older ones are counted, not kept). Default 4096. */
  readonly maxFaultRecords?: number;
}

export interface IommuStats {
  translations: number;
  pageWalks: number;
  faults: number;
}

export class Iommu {
  readonly mode: IommuMode;
  readonly iotlb: Iotlb;
  readonly mgaw: number;
  readonly faults: IommuFault[] = [];
  readonly stats: IommuStats = { translations: 0, pageWalks: 0, faults: 0 };
  readonly options: Required<Pick<IommuOptions, 'fqSize' | 'fqTimeoutMs' | 'forcedac'>> & {
    readonly reservedRegions: readonly { readonly start: bigint; readonly end: bigint }[];
  };
  private nextDomainId = 1;
  private readonly maxFaultRecords: number;

  constructor(
    opts: IommuOptions,
    private readonly klog: KernelLog,
  ) {
    this.mode = opts.mode ?? 'lazy';
    this.iotlb = new Iotlb(opts.iotlbEntries ?? 64);
    this.mgaw = opts.mgaw ?? 48;
    this.maxFaultRecords = opts.maxFaultRecords ?? 4096;
    this.options = {
      fqSize: opts.fqSize ?? 256,
      fqTimeoutMs: opts.fqTimeoutMs ?? 10,
      forcedac: opts.forcedac ?? false,
      reservedRegions: opts.reservedRegions ?? [{ start: 0xfee00000n, end: 0xfeefffffn }],
    };
    if (this.options.fqSize < 2 || (this.options.fqSize & (this.options.fqSize - 1)) !== 0) {
      throw new RangeError(`flush queue size ${this.options.fqSize} must be a power of two >= 2`);
    }
    klog.printk('info', `iommu: Default domain type: ${this.mode === 'passthrough' ? 'Passthrough' : 'Translated'}`);
    if (this.mode !== 'passthrough') {
      klog.printk('info', `iommu: DMA domain TLB invalidation policy: ${this.mode} mode`);
    }
  }

  /** The default domain type for a device (untrusted devices are forced to strict DMA). */
  defaultDomainType(untrusted: boolean): number {
    if (untrusted) return IOMMU_DOMAIN_DMA;
    if (this.mode === 'passthrough') return IOMMU_DOMAIN_IDENTITY;
    return this.mode === 'lazy' ? IOMMU_DOMAIN_DMA_FQ : IOMMU_DOMAIN_DMA;
  }

  domain_alloc(type: number): IommuDomain {
    return new IommuDomain(this.nextDomainId++, type, this.mgaw);
  }

  /** iommu_map: 0 or -errno. Pages already mapped are an error (-EEXIST), nothing is changed then. */
  iommu_map(domain: IommuDomain, iova: bigint, paddr: bigint, size: number, prot: number): number {
    if (iova % BigInt(PAGE_SIZE) !== 0n || paddr % BigInt(PAGE_SIZE) !== 0n || size % PAGE_SIZE !== 0 || size <= 0) return -EINVAL;
    if (iova + BigInt(size) - 1n > domain.geometry.aperture_end) return -EINVAL;
    const ipfn = Number(iova >> BigInt(PAGE_SHIFT));
    const ppfn = Number(paddr >> BigInt(PAGE_SHIFT));
    const n = size / PAGE_SIZE;
    for (let i = 0; i < n; i++) {
      if (domain.ptes.has(ipfn + i)) {
        this.klog.printk('err', `DMAR: ERROR: DMA PTE for vPFN ${hex(ipfn + i)} already set`);
        return -EEXIST;
      }
    }
    const p = prot & (IOMMU_READ | IOMMU_WRITE | IOMMU_CACHE);
    for (let i = 0; i < n; i++) domain.ptes.set(ipfn + i, (ppfn + i) * 8 + p);
    return 0;
  }

  /** iommu_unmap_fast: clears the PTEs and records the range in `gather`; returns bytes unmapped. */
  iommu_unmap_fast(domain: IommuDomain, iova: bigint, size: number, gather: IommuIotlbGather): number {
    const ipfn = Number(iova >> BigInt(PAGE_SHIFT));
    const n = Math.ceil(size / PAGE_SIZE);
    let unmapped = 0;
    for (let i = 0; i < n; i++) {
      // Like the page-table code, stop at the first hole: what follows is not this mapping.
      if (!domain.ptes.delete(ipfn + i)) break;
      unmapped += PAGE_SIZE;
    }
    if (unmapped > 0) {
      gather.start = Math.min(gather.start, ipfn);
      gather.end = Math.max(gather.end, ipfn + unmapped / PAGE_SIZE - 1);
    }
    return unmapped;
  }

  /** iommu_iotlb_sync: page-selective invalidation of the gathered range (strict mode). */
  iommu_iotlb_sync(domain: IommuDomain, gather: IommuIotlbGather): void {
    if (gather.start <= gather.end) this.iotlb.invalidateRange(domain.id, gather.start, gather.end);
  }

  /** ops->flush_iotlb_all: domain-selective invalidation. */
  flush_iotlb_all(domain: IommuDomain): void {
    this.iotlb.flushDomain(domain.id);
  }

  /** iommu_iova_to_phys: the page table's view (not the IOTLB's), 0n if unmapped. */
  iommu_iova_to_phys(domain: IommuDomain, iova: bigint): bigint {
    if (domain.type === IOMMU_DOMAIN_IDENTITY) return iova;
    const pte = domain.ptes.get(Number(iova >> BigInt(PAGE_SHIFT)));
    if (pte === undefined) return 0n;
    return (BigInt(Math.floor(pte / 8)) << BigInt(PAGE_SHIFT)) + (iova & BigInt(PAGE_SIZE - 1));
  }

  /**
   * Translate a device access of `len` bytes at `addr`. Every page is checked before any byte
   * moves, so a faulting burst leaves memory untouched; the first faulting page is reported.
   */
  translate(domain: IommuDomain, addr: bigint, len: number, write: boolean, dev: FaultDevice, cycle: number): TranslateResult {
    this.stats.translations++;
    if (len <= 0) return { ok: true, segs: [] };
    if (domain.type === IOMMU_DOMAIN_IDENTITY) return { ok: true, segs: [{ pa: addr, len }] };
    if (domain.type === IOMMU_DOMAIN_BLOCKED) return { ok: false, fault: this.fault(domain, dev, addr, write, 'not_present', 0x02, cycle) };
    const last = addr + BigInt(len) - 1n;
    if (last > domain.geometry.aperture_end) {
      const at = addr > domain.geometry.aperture_end ? addr : domain.geometry.aperture_end + 1n;
      return { ok: false, fault: this.fault(domain, dev, at, write, 'not_present', 0x04, cycle) };
    }
    const need = write ? IOMMU_WRITE : IOMMU_READ;
    const a = Number(addr);
    const segs: PhysSeg[] = [];
    let done = 0;
    let curPa = -1;
    let curLen = 0;
    while (done < len) {
      const va = a + done;
      const pfn = Math.floor(va / PAGE_SIZE);
      const off = va - pfn * PAGE_SIZE;
      const n = Math.min(PAGE_SIZE - off, len - done);
      let pte = this.iotlb.lookup(domain.id, pfn);
      if (pte === undefined) {
        this.stats.pageWalks++;
        pte = domain.ptes.get(pfn);
        if (pte === undefined) {
          return { ok: false, fault: this.fault(domain, dev, BigInt(va), write, 'not_present', write ? 0x05 : 0x06, cycle) };
        }
        // Only successful walks fill the IOTLB (faulting translations are not cached).
        if ((pte & need) !== 0) this.iotlb.insert(domain.id, pfn, pte);
      }
      if ((pte & need) === 0) {
        const reason: DmaFaultReason = write ? 'write_denied' : 'read_denied';
        return { ok: false, fault: this.fault(domain, dev, BigInt(va), write, reason, write ? 0x05 : 0x06, cycle) };
      }
      const pa = Math.floor(pte / 8) * PAGE_SIZE + off;
      if (curLen > 0 && curPa + curLen === pa) {
        curLen += n;
      } else {
        if (curLen > 0) segs.push({ pa: BigInt(curPa), len: curLen });
        curPa = pa;
        curLen = n;
      }
      done += n;
    }
    segs.push({ pa: BigInt(curPa), len: curLen });
    return { ok: true, segs };
  }

  private fault(domain: IommuDomain, dev: FaultDevice, addr: bigint, write: boolean, reason: DmaFaultReason, code: number, cycle: number): IommuFault {
    const pageAddr = addr & ~BigInt(PAGE_SIZE - 1);
    const message =
      `DMAR: [DMA ${write ? 'Write' : 'Read'} NO_PASID] Request device [${dev.bdf}] fault addr ${hex(pageAddr)} ` +
      `[fault reason ${hex(code, 2)}] ${DMAR_REASON_TEXT[code] ?? 'Unknown'}`;
    const f: IommuFault = { device: dev.name, domainId: domain.id, addr, access: write ? 'write' : 'read', reason, dmarReason: code, cycle, message };
    this.stats.faults++;
    if (this.faults.length < this.maxFaultRecords) this.faults.push(f);
    // dmar_fault_do_one prints with pr_err_ratelimited.
    this.klog.ratelimited('dmar_fault', 'err', message);
    return f;
  }
}
