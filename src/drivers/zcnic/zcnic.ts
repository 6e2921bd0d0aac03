// The zcnic driver: probes the device (discovers rather than assumes) and runs copy descriptors.
// Mirrors a kernel driver's flow: coherent memory for the descriptor, streaming mappings for
// the data, an interrupt handler that acknowledges causes, unmap before the CPU looks at data.

import { ABI_HASH32, ABI_VERSION, COPY_DESC, COPY_ERR, FEATURE, NIC_ID, REG, regField } from '../../abi/regs.js';
import type { Device } from '../../device/device.js';
import { DriverError } from './errors.js';
import { GFP_KERNEL } from '../../mem/page_alloc.js';
import {
  DMA_BIT_MASK, DMA_FROM_DEVICE, DMA_TO_DEVICE, dma_alloc_coherent, dma_free_coherent, dma_map_single,
  dma_mapping_error, dma_set_mask_and_coherent, dma_unmap_single, type Device as DmaDevice, type HostPlatform,
} from '../../platform/host.js';

export class ProbeError extends DriverError {
  constructor(
    code: 'E_PROBE_ID' | 'E_PROBE_VERSION' | 'E_PROBE_ABI' | 'E_PROBE_FEATURE' | 'E_PROBE_PARAMS' | 'E_PROBE_DMA',
    message: string,
  ) {
    super(code, message);
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
  /** Queues per direction, each with its completion queue and interrupt vector. */
  readonly txQueues: number;
  readonly rxQueues: number;
  /** Largest ring, and most TX descriptors (scatter-gather entries) per frame. */
  readonly maxRingEntries: number;
  readonly maxFrags: number;
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

  /**
   * @param dev  the NIC's registers and interrupts
   * @param host the platform (DMA API, CPU access to memory)
   * @param pdev the NIC's `struct device` on the host, for the DMA API
   */
  constructor(
    readonly dev: Device,
    private readonly host: HostPlatform,
    readonly pdev: DmaDevice,
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
    // a known state, whatever a previous driver left: engines, queues, statistics
    await this.dev.writeReg(REG.CTRL, 1);
    const params = await this.dev.readReg(REG.PARAMS);
    const params2 = await this.dev.readReg(REG.PARAMS2);
    this.info = {
      id, version, features, abiHash,
      dataBytes: regField(params, 'PARAMS', 'DATA_BYTES'),
      irqVectors: regField(params, 'PARAMS', 'IRQ_VECTORS'),
      chunkBytes: 2 ** regField(params, 'PARAMS', 'CHUNK_LOG2'),
      txQueues: regField(params2, 'PARAMS2', 'TX_QUEUES'),
      rxQueues: regField(params2, 'PARAMS2', 'RX_QUEUES'),
      maxRingEntries: 2 ** regField(params2, 'PARAMS2', 'MAX_RING_LOG2'),
      maxFrags: regField(params2, 'PARAMS2', 'MAX_FRAGS'),
    };
    // one MISC vector, then one per completion queue: anything else is a device we do not know
    if (this.info.irqVectors !== 1 + this.info.txQueues + this.info.rxQueues) {
      throw new ProbeError('E_PROBE_PARAMS', `${this.info.irqVectors} interrupt vectors for ${this.info.txQueues} TX and ${this.info.rxQueues} RX queues`);
    }
    // The DMA engine drives 32 address bits; the DMA API then keeps every handle below 4 GiB.
    if (dma_set_mask_and_coherent(this.pdev, DMA_BIT_MASK(32)) !== 0) {
      throw new ProbeError('E_PROBE_DMA', 'no usable 32-bit DMA configuration');
    }
    const c = dma_alloc_coherent(this.pdev, COPY_DESC.BYTES, GFP_KERNEL);
    if (!c) throw new ProbeError('E_PROBE_DMA', 'cannot allocate the coherent descriptor');
    this.desc = { cpu: c.cpu_addr, dma: c.dma_handle };
    await this.dev.writeReg(REG.IRQ_MASK, IRQ_COPY_DONE | IRQ_COPY_ERROR);
    return this.info;
  }

  /** Release what probe() took (the kernel's remove()). */
  async remove(): Promise<void> {
    await this.dev.writeReg(REG.IRQ_MASK, 0);
    if (this.desc) dma_free_coherent(this.pdev, COPY_DESC.BYTES, this.desc.cpu, this.desc.dma);
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
    this.host.cpuWrite(desc.cpu, new Uint8Array(d.buffer));
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
    const wbBytes = this.host.cpuRead(desc.cpu + BigInt(COPY_DESC.STATUS), 4);
    const wb = new DataView(wbBytes.buffer, wbBytes.byteOffset, 4).getUint32(0, true);
    const expectCause = err === COPY_ERR.NONE ? IRQ_COPY_DONE : IRQ_COPY_ERROR;
    if (!(cause & expectCause)) {
      throw new Error(`copy interrupt at cycle ${cycle}: IRQ_STATUS 0x${cause.toString(16)} lacks the expected cause 0x${expectCause.toString(16)}`);
    }
    if (err !== COPY_ERR.WRITEBACK && (wb & COPY_DESC.STATUS_COOKIE_MASK) !== cookie) {
      throw new Error(`descriptor write-back 0x${wb.toString(16)} does not carry cookie 0x${cookie.toString(16)}`);
    }
    return { err, resp, errAddr, writeback: wb, cycle };
  }

  /**
   * Copy between two CPU (physical) buffers through streaming DMA mappings; the mappings are
   * gone (and bounce buffers copied back) when this resolves.
   */
  async copy(srcCpu: bigint, dstCpu: bigint, len: number): Promise<CopyResult & { readonly src: bigint; readonly dst: bigint }> {
    const src = dma_map_single(this.pdev, srcCpu, len, DMA_TO_DEVICE);
    if (dma_mapping_error(this.pdev, src)) throw new Error(`dma_map_single of ${len} bytes at 0x${srcCpu.toString(16)} failed`);
    const dst = dma_map_single(this.pdev, dstCpu, len, DMA_FROM_DEVICE);
    if (dma_mapping_error(this.pdev, dst)) {
      dma_unmap_single(this.pdev, src, len, DMA_TO_DEVICE);
      throw new Error(`dma_map_single of ${len} bytes at 0x${dstCpu.toString(16)} failed`);
    }
    try {
      return { ...(await this.copyMapped(src, dst, len)), src, dst };
    } finally {
      dma_unmap_single(this.pdev, dst, len, DMA_FROM_DEVICE);
      dma_unmap_single(this.pdev, src, len, DMA_TO_DEVICE);
    }
  }
}
