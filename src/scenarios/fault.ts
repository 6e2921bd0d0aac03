// fault: the device is pointed at IOVAs that are not mapped. The IOMMU must refuse the access and
// record it (reason, device, address, cycle), the RTL must see an error response and latch the
// address, and the engine must run the next good copy as if nothing happened.

import { COPY_ERR } from '../abi/regs.js';
import { ZcnicDriver, type CopyResult } from '../drivers/zcnic/zcnic.js';
import { GFP_KERNEL } from '../mem/page_alloc.js';
import { PAGE_SIZE } from '../mem/phys.js';
import { DMA_FROM_DEVICE, DMA_TO_DEVICE, dma_map_single, dma_unmap_single } from '../platform/host.js';
import type { Scenario } from './types.js';
import { hex } from '../lib/hex.js';
import { hostInstance, hostReport, scenarioHost } from '../host/machine.js';

/** Far below anything the IOVA allocator hands out first (it starts at 0xFFFFF000). */
export const UNMAPPED_IOVA = 0x1000_0000n;
const SLVERR = 2;


export const faultScenario: Scenario = {
  name: 'fault',
  description: 'copies to and from unmapped IOVAs end as DMA errors with the address latched, then a good copy',
  maxCycles: 1_000_000,
  setup() {
    const h = scenarioHost('strict');
    const results: Record<string, unknown>[] = [];
    return {
      ...hostInstance(h),
      async main(dev) {
        const drv = new ZcnicDriver(dev, h.host, h.pdev);
        await drv.probe();
        const page = h.host.pages.alloc_pages(GFP_KERNEL, 0);
        if (!page) throw new Error('out of memory');
        const len = 256;
        const expectFault = (what: string, r: CopyResult, err: number, addr: bigint, access: 'read' | 'write'): void => {
          results.push({ what, err: r.err, resp: r.resp, err_addr: hex(r.errAddr), cycle: r.cycle });
          if (r.err !== err || r.resp !== SLVERR || BigInt(r.errAddr) !== addr) {
            throw new Error(`${what}: expected error ${err} with SLVERR at ${hex(addr)}, got error ${r.err} resp ${r.resp} at ${hex(r.errAddr)}`);
          }
          const f = h.host.faults.find((x) => x.addr === addr && x.access === access);
          if (!f || f.reason !== 'not_present' || f.device !== h.pdev.name || f.cycle <= 0) {
            throw new Error(`${what}: no IOMMU fault recorded for ${access} at ${hex(addr)} (faults: ${JSON.stringify(h.host.faults.map((x) => hex(x.addr)))})`);
          }
        };

        const src = dma_map_single(h.pdev, page.phys, len, DMA_TO_DEVICE);
        expectFault('write to an unmapped IOVA', await drv.copyMapped(src, UNMAPPED_IOVA, len), COPY_ERR.DST_WRITE, UNMAPPED_IOVA, 'write');
        dma_unmap_single(h.pdev, src, len, DMA_TO_DEVICE);

        const dst = dma_map_single(h.pdev, page.phys + BigInt(PAGE_SIZE / 2), len, DMA_FROM_DEVICE);
        expectFault('read of an unmapped IOVA', await drv.copyMapped(UNMAPPED_IOVA + 0x40n, dst, len), COPY_ERR.SRC_READ, UNMAPPED_IOVA + 0x40n, 'read');
        dma_unmap_single(h.pdev, dst, len, DMA_FROM_DEVICE);

        // A stale mapping: strict mode invalidates the IOTLB at unmap, so reuse must fault too.
        expectFault('write through a stale (unmapped) IOVA', await drv.copyMapped(src, dst, len), COPY_ERR.SRC_READ, src, 'read');

        h.host.cpuWrite(page.phys, new Uint8Array(len).fill(0x5a));
        const ok = await drv.copy(page.phys, page.phys + BigInt(PAGE_SIZE / 2), len);
        results.push({ what: 'good copy after faults', err: ok.err });
        if (ok.err !== COPY_ERR.NONE) throw new Error(`the engine did not recover: error ${ok.err} at ${hex(ok.errAddr)}`);
        if (h.host.cpuRead(page.phys + BigInt(PAGE_SIZE / 2), len).some((b) => b !== 0x5a)) throw new Error('good copy after faults: wrong bytes');
        await drv.remove();
        h.host.pages.__free_pages(page, 0);
      },
      report: () => ({ results, ...hostReport(h) }),
    };
  },
};
