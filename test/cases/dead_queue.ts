// A queue error the driver cannot recover from (issue 20): a driver bug unmaps TX queue 1's
// descriptor ring from the IOMMU while the queue runs. Each frame posted faults the descriptor
// fetch at the same slot; after MAX_FRUITLESS_RECOVERIES recoveries with nothing completed the
// driver gives up on the queue, and the run ends with that error at once, located, whatever the
// host's software is doing meanwhile (here it only sleeps).

import { DEFAULT_NETDEV_CONFIG, ZcnicNetdev } from '../../src/drivers/zcnic/netdev.js';
import { iommu_iotlb_gather_init } from '../../src/iommu/iommu.js';
import { alloc_skb, kfree_skb, skb_put_data } from '../../src/net/core/skbuff.js';
import { withHost, type Backend, type HostRun } from '../../src/testing/fixture.js';

export const DEAD_TXQ = 1;

export function deadQueueTest(backend: Backend): Promise<HostRun> {
  return withHost(backend, async ({ dev, h, info }) => {
    const nd = new ZcnicNetdev(dev, h.host, h.pdev, info!, { ...DEFAULT_NETDEV_CONFIG, loopback: true }, (skb) => kfree_skb(skb));
    await nd.open();
    const t = nd.txq[DEAD_TXQ]!;
    const iommu = h.host.iommu!;
    const domain = h.pdev.iommu_domain!;
    const gather = iommu_iotlb_gather_init();
    iommu.iommu_unmap_fast(domain, t.ring.dma, t.ring.bytes, gather);
    iommu.iommu_iotlb_sync(domain, gather);
    for (let i = 0; i < 50; i++) {
      const skb = alloc_skb(h.host, 60)!;
      skb_put_data(skb, new Uint8Array(60).fill(i));
      nd.start_xmit(DEAD_TXQ, skb, {}, false);
      await dev.sleep(20_000);
    }
    throw new Error('the dead queue was never reported');
  }, { iommu: 'strict' });
}
