// The zcnic driver: probes the device (discovers rather than assumes) and runs copy descriptors.
// Mirrors a kernel driver's flow: coherent memory for the descriptor, streaming mappings for
// the data, an interrupt handler that acknowledges causes, unmap before the CPU looks at data.

import { ABI_HASH32, ABI_VERSION, COPY_DESC, COPY_ERR, FEATURE, NIC_ID, REG } from '../abi/regs.js';
import type { Device } from '../device/device.js';

export const DMA_TO_DEVICE = 1;
export const DMA_FROM_DEVICE = 2;
export type DmaDirection = typeof DMA_TO_DEVICE | typeof DMA_FROM_DEVICE;

/** The slice of the host's DMA API and CPU memory access the driver uses (kernel names). */
export interface DriverDma {
  dma_alloc_coherent(size: number): { readonly cpu: bigint; readonly dma: bigint };
  dma_free_coherent(size: number, cpu: bigint, dma: bigint): void;
  dma_map_single(cpu: bigint, size: number, dir: DmaDirection): bigint;
  dma_unmap_single(dma: bigint, size: number, dir: DmaDirection): void;
  cpuRead(cpu: bigint, len: number): Uint8Array;
  cpuWrite(cpu: bigint, data: Uint8Array): void;
}

export class ProbeError extends Error {
  override readonly name = 'ProbeError';
  constructor(readonly code: 'E_PROBE_ID' | 'E_PROBE_VERSION' | 'E_PROBE_ABI' | 'E_PROBE_FEATURE', message: string) {
    super(message);
  }
}

export interface DeviceInfo {
  readonly id: number;
  readonly version: { readonly major: number; readonly minor: number; readonly patch: number };
  readonly features: number;
  readonly dataBytes: number;
  readonly irqVectors: number;
  readonly chunkBytes: number;
  readonly abiHash: number;
}

export interface CopyResult {
  /** COPY_ERR code; 0 when the copy succeeded. */
  readonly err: number;
  /** AXI response of the failing burst (0 when none). */
  readonly resp: number;
  /** Start address of the failing burst (COPY_ERR_ADDR), when err != 0. */
  readonly errAddr: number;
  /** The status word the device wrote back into the descriptor (0 if the write-back failed). */
  readonly writeback: number;
  /** Cycle at which the completion interrupt was handled. */
  readonly cycle: number;
}

const IRQ_COPY_DONE = 1 << 0;
const IRQ_COPY_ERROR = 1 << 1;

export class ZcnicDriver {
  private info?: DeviceInfo;
  private desc: { readonly cpu: bigint; readonly dma: bigint } | undefined;
  private waiters: (() => void)[] = [];
  private cookie = 0;

  constructor(
    readonly dev: Device,
    private readonly dma: DriverDma,
  ) {
    dev.onIrq(() => {
      const w = this.waiters;
      this.waiters = [];
      for (const wake of w) wake();
    });
  }

  get deviceInfo(): DeviceInfo {
    if (!this.info) throw new Error('probe() first');
    return this.info;
  }

  async probe(): Promise<DeviceInfo> {
    const id = await this.dev.readReg(REG.ID);
    if (id !== NIC_ID) throw new ProbeError('E_PROBE_ID', `ID register reads 0x${id.toString(16)}, expected 0x${NIC_ID.toString(16)}`);
    const v = await this.dev.readReg(REG.VERSION);
    const version = { major: (v >>> 16) & 0xff, minor: (v >>> 8) & 0xff, patch: v & 0xff };
    if (version.major !== ABI_VERSION.major) {
      throw new ProbeError('E_PROBE_VERSION', `device ABI ${version.major}.${version.minor}, driver speaks ${ABI_VERSION.major}.x`);
    }
    const abiHash = await this.dev.readReg(REG.ABI_HASH);
    if (abiHash !== ABI_HASH32) {
      throw new ProbeError('E_PROBE_ABI', `device ABI hash 0x${abiHash.toString(16)} differs from the driver's 0x${ABI_HASH32.toString(16)}`);
    }
    const features = await this.dev.readReg(REG.FEATURES);
    if (!(features & FEATURE.COPY_ENGINE)) throw new ProbeError('E_PROBE_FEATURE', 'device has no copy engine');
    const params = await this.dev.readReg(REG.PARAMS);
    this.info = {
      id, version, features, abiHash,
      dataBytes: params & 0xff,
      irqVectors: (params >>> 8) & 0xff,
      chunkBytes: 2 ** ((params >>> 16) & 0xff),
    };
    this.desc = this.dma.dma_alloc_coherent(COPY_DESC.BYTES);
    await this.dev.writeReg(REG.IRQ_MASK, IRQ_COPY_DONE | IRQ_COPY_ERROR);
    return this.info;
  }

  /** Release what probe() took (the kernel's remove()). */
  async remove(): Promise<void> {
    await this.dev.writeReg(REG.IRQ_MASK, 0);
    if (this.desc) this.dma.dma_free_coherent(COPY_DESC.BYTES, this.desc.cpu, this.desc.dma);
    this.desc = undefined;
  }

  private irq(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /**
   * Run one descriptor that copies between two bus addresses the caller has mapped, and wait
   * for its interrupt. Errors of the device come back in the result, not as exceptions.
   */
  async copyMapped(src: bigint, dst: bigint, len: number): Promise<CopyResult> {
    const desc = this.desc;
    if (!desc) throw new Error('probe() first');
    const cookie = (this.cookie = (this.cookie + 1) & COPY_DESC.STATUS_COOKIE_MASK);
    const d = new DataView(new ArrayBuffer(COPY_DESC.BYTES));
    d.setUint32(COPY_DESC.SRC, Number(src), true);
    d.setUint32(COPY_DESC.DST, Number(dst), true);
    d.setUint32(COPY_DESC.LEN, len >>> 0, true);
    d.setUint32(COPY_DESC.STATUS, cookie, true);
    this.dma.cpuWrite(desc.cpu, new Uint8Array(d.buffer));
    const done = this.irq();
    await this.dev.writeReg(REG.COPY_DESC_ADDR, Number(desc.dma));
    await this.dev.writeReg(REG.COPY_DOORBELL, 1);
    await done;
    const cycle = this.dev.clock.cycle;
    const cause = await this.dev.readReg(REG.IRQ_STATUS);
    await this.dev.writeReg(REG.IRQ_STATUS, cause);
    const status = await this.dev.readReg(REG.COPY_STATUS);
    const err = (status >>> 4) & 0xf;
    const resp = (status >>> 8) & 0x3;
    const errAddr = err === COPY_ERR.NONE ? 0 : await this.dev.readReg(REG.COPY_ERR_ADDR);
    const wb = new DataView(this.dma.cpuRead(desc.cpu + BigInt(COPY_DESC.STATUS), 4).buffer.slice(0)).getUint32(0, true);
    const expectCause = err === COPY_ERR.NONE ? IRQ_COPY_DONE : IRQ_COPY_ERROR;
    if (!(cause & expectCause)) {
      throw new Error(`copy interrupt at cycle ${cycle}: IRQ_STATUS 0x${cause.toString(16)} lacks the expected cause 0x${expectCause.toString(16)}`);
    }
    if (err !== COPY_ERR.WRITEBACK && (wb & COPY_DESC.STATUS_COOKIE_MASK) !== cookie) {
      throw new Error(`descriptor write-back 0x${wb.toString(16)} does not carry cookie 0x${cookie.toString(16)}`);
    }
    return { err, resp, errAddr, writeback: wb, cycle };
  }

  /** Copy between two CPU (physical) buffers through streaming DMA mappings. */
  async copy(srcCpu: bigint, dstCpu: bigint, len: number): Promise<CopyResult> {
    const src = this.dma.dma_map_single(srcCpu, len, DMA_TO_DEVICE);
    const dst = this.dma.dma_map_single(dstCpu, len, DMA_FROM_DEVICE);
    try {
      return await this.copyMapped(src, dst, len);
    } finally {
      this.dma.dma_unmap_single(dst, len, DMA_FROM_DEVICE);
      this.dma.dma_unmap_single(src, len, DMA_TO_DEVICE);
    }
  }
}
