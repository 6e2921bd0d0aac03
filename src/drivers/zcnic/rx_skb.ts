// Building the packet buffer of a received frame, in either page_pool memory model of seed 004:
// 'writable' (napi_build_skb on the first page: headers read in place) or 'readonly' (headers
// copied into a separate head, payload left untouched in the pages). Header-split frames have
// their headers in the queue's header buffer; either way those are copied into the head.

import type { PagePool } from '../../net/core/page_pool.js';
import type { NapiStruct } from '../../net/core/napi.js';
import { skb_build_readonly, skb_build_writable, skb_mark_napi_id, skb_record_rx_queue, skb_set_hash, PKT_HASH_TYPE_L3, PKT_HASH_TYPE_L4, CHECKSUM_UNNECESSARY, type RxPagePiece, type SkBuff } from '../../net/core/skbuff.js';
import { PAGE_SIZE } from '../../mem/phys.js';
import type { HostPlatform } from '../../platform/host.js';
import type { Page } from '../../mem/page_alloc.js';
import { DriverError } from './errors.js';

export type RxMemModel = 'writable' | 'readonly';

export interface RxPiece {
  readonly page: Page;
  readonly offset: number;
  readonly len: number;
}

/** Bytes the read-only model copies when the NIC did not split (eth_get_headlen's bound). */
const COPY_HDR_MAX = 128;

export interface RxSkbMeta {
  readonly queue: number;
  readonly csumOk: boolean;
  readonly rssHash: number;
  readonly hashValid: boolean;
  readonly l4: boolean;
  /** The queue's NAPI instance (its id goes on the skb). */
  readonly napi: NapiStruct;
  /** RxMeta.cycle: when the driver took the frame's completion. */
  readonly cycle: number;
}

export function buildRxSkb(
  host: HostPlatform, pool: PagePool, model: RxMemModel, hdr: { readonly hdrPa: bigint; readonly hdrLen: number },
  pieces: readonly RxPiece[], meta: RxSkbMeta,
): SkBuff {
  const pp: RxPagePiece[] = pieces.map((p) => ({ ...p, truesize: PAGE_SIZE }));
  let skb: SkBuff | null;
  if (hdr.hdrLen > 0 || model === 'readonly') {
    const hl = hdr.hdrLen > 0 ? hdr.hdrLen : Math.min(COPY_HDR_MAX, pieces[0]!.len);
    skb = skb_build_readonly(host, pp, hl, hdr.hdrLen > 0 ? hdr.hdrPa : null);
  } else {
    skb = skb_build_writable(host, pp[0]!, pool.p.offset, PAGE_SIZE, pp.slice(1));
  }
  if (!skb) throw new DriverError('E_NOMEM', 'no head for a received frame', { queue: `rxq${meta.queue}` });
  skb_record_rx_queue(skb, meta.queue);
  // napi_gro_receive's skb_mark_napi_id: the socket learns which queue's NAPI took it
  skb_mark_napi_id(skb, meta.napi);
  skb.rx_cycle = meta.cycle;
  if (meta.hashValid) skb_set_hash(skb, meta.rssHash, meta.l4 ? PKT_HASH_TYPE_L4 : PKT_HASH_TYPE_L3);
  if (meta.csumOk) skb.ip_summed = CHECKSUM_UNNECESSARY;
  return skb;
}
