// The netdev generic-netlink family's queue-get (net/core/netdev-genl.c, `ynl --family netdev
// --do queue-get`): what a queue of a device is, including the id of the NAPI instance that
// serves it, so a program holding a socket's SO_INCOMING_NAPI_ID can tell which queue received.

import { napi_id_valid } from './napi.js';
import type { NetDevice } from './dev.js';
import { EINVAL, ENOENT } from '../socket/uapi.js';

/** enum netdev_queue_type (include/uapi/linux/netdev.h). */
export const NETDEV_QUEUE_TYPE_RX = 0;
export const NETDEV_QUEUE_TYPE_TX = 1;
export type NetdevQueueType = typeof NETDEV_QUEUE_TYPE_RX | typeof NETDEV_QUEUE_TYPE_TX;

/** The attributes of a queue-get reply (NETDEV_A_QUEUE_*). */
export interface NetdevQueue {
  readonly id: number;
  readonly type: NetdevQueueType;
  readonly ifindex: number;
  /** NETDEV_A_QUEUE_NAPI_ID: absent when no NAPI instance (with an id) serves the queue. */
  readonly napi_id?: number;
}

/**
 * netdev_nl_queue_get_doit(): queue `id` of `type` on `dev`, or -ENOENT for a device that is not
 * up, -EINVAL for a queue past real_num_{rx,tx}_queues (netdev_nl_queue_validate).
 */
export function netdev_nl_queue_get(dev: NetDevice, id: number, type: NetdevQueueType): NetdevQueue | number {
  if (!dev.if_up) return -ENOENT;
  const n = type === NETDEV_QUEUE_TYPE_RX ? dev.real_num_rx_queues : dev.num_tx_queues;
  if (!Number.isInteger(id) || id < 0 || id >= n) return -EINVAL;
  const napi = dev.queue_napi(type === NETDEV_QUEUE_TYPE_RX, id);
  return { id, type, ifindex: dev.ifindex, ...(napi && napi_id_valid(napi.napi_id) ? { napi_id: napi.napi_id } : {}) };
}
