// Binding an RX queue to a memory provider (net/core/netdev_rx_queue.c: net_mp_open_rxq,
// net_mp_close_rxq), for RX zero copy: the flow's filter to the queue, RSS and the default queue
// over the queues no provider holds, then the queue restarted on the provider through the
// driver's queue_mgmt_ops. Refusals as io_uring zcrx's registration gives them: -ERANGE (no such
// queue), -EINVAL (the queue's mode cannot take one), -EEXIST (already bound), -EOPNOTSUPP (no
// queue would be left for the rest of the traffic, or the device has no queue_mgmt_ops).

import type { NetDevice, RxBinding } from './dev.js';
import { EEXIST, EOPNOTSUPP } from '../socket/uapi.js';

/** net_mp_open_rxq's refusals, before anything is set up; 0 if queue q of `dev` may be bound. */
export function net_mp_check_rxq(dev: NetDevice, q: number): number {
  const ops = dev.queue_mgmt_ops;
  if (!ops || !dev.ethtool_ops) return -EOPNOTSUPP;
  const c = ops.check(q);
  if (c) return c;
  if (dev.mp_bound.has(q)) return -EEXIST;
  if (dev.real_num_rx_queues - dev.mp_bound.size < 2) return -EOPNOTSUPP;
  return 0;
}

/** net_mp_open_rxq(): bind queue q to `b`; 0 or -errno, nothing changed on a refusal. */
export async function net_mp_open_rxq(dev: NetDevice, q: number, b: RxBinding): Promise<number> {
  const c = net_mp_check_rxq(dev, q);
  if (c) return c;
  const et = dev.ethtool_ops!;
  dev.mp_bound.set(q, b);
  const e = await steer_away(dev);
  if (e) {
    dev.mp_bound.delete(q);
    return e;
  }
  const f = await et.set_rxnfc_insert({ location: b.filterLocation, ipProto: b.flow.protocol, dstPort: b.flow.dport, ...(b.flow.daddr ? { dstIp: b.flow.daddr } : {}), action: q });
  if (f) {
    dev.mp_bound.delete(q);
    await steer_away(dev);
    return f;
  }
  await dev.queue_mgmt_ops!.restart(q, b);
  return 0;
}

/** net_mp_close_rxq(): filter off, the queue back on the page allocator, RSS over it again. */
export async function net_mp_close_rxq(dev: NetDevice, q: number): Promise<void> {
  const b = dev.mp_bound.get(q);
  if (!b) return;
  await dev.ethtool_ops!.set_rxnfc_delete(b.filterLocation);
  dev.mp_bound.delete(q);
  b.kick = null;
  await steer_away(dev);
  await dev.queue_mgmt_ops!.restart(q, null);
}

/** RSS indirection and the default queue over the queues no provider holds. */
async function steer_away(dev: NetDevice): Promise<number> {
  const et = dev.ethtool_ops!;
  const free = Array.from({ length: dev.real_num_rx_queues }, (_, i) => i).filter((i) => !dev.mp_bound.has(i));
  const n = await et.get_rxfh_indir_size();
  const e = await et.set_rxfh({ indir: Array.from({ length: n }, (_, i) => free[i % free.length]!) });
  return e || et.set_default_queue(free[0]!);
}
