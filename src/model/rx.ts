// What nic_rx does with one received frame (docs/rtl-nic-rx.md steps 1..6, docs/nic-queues.md
// "RX"): classify (parse, checksum verdict, steering), split, count descriptors, and the
// completion fields every descriptor's RX_CQE carries. Queue state (disabled, in error, too few
// descriptors posted) is the caller's: those drops depend on the ring, not on the frame.

import { MAX_FRAME, RX_FLAG } from '../abi/regs.js';
import { type RxCsum, rxCsum, rxCsumBits } from './csum.js';
import { type RxParse, parseHeaders } from './parse.js';
import { type SteerDecision, type SteerTables, steerDecide } from './steer.js';

/** The RX queue settings that shape a delivery (CTRL.HDR_SPLIT, HDR_SIZE, BUF_SIZE). */
export interface RxQueueConf {
  readonly hdr_split: boolean;
  readonly hdr_size: number;
  readonly buf_size: number;
}

export interface RxClass {
  readonly parse: RxParse;
  readonly csum: RxCsum;
  readonly steer: SteerDecision;
}

export function rxClassify(frame: Uint8Array, t: SteerTables): RxClass {
  const parse = parseHeaders(frame);
  return { parse, csum: rxCsum(frame), steer: steerDecide(parse, t) };
}

/** How a frame fills a queue's buffers. */
export interface RxLayout {
  /** Bytes in the header buffer: hdr_len when split, else 0. */
  readonly hdr_len: number;
  /** DATA_LEN of each descriptor: max(1, ceil(payload / BUF_SIZE)) of them, the last may be 0. */
  readonly data_lens: readonly number[];
}

/** Split when HDR_SPLIT is on, the frame is UDP/TCP and its headers fit HDR_SIZE; payload = the rest. */
export function rxLayout(rec: RxParse, frameLen: number, q: RxQueueConf): RxLayout {
  const hdr_len = q.hdr_split && (rec.is_udp || rec.is_tcp) && rec.hdr_len <= q.hdr_size ? rec.hdr_len : 0;
  const payload = frameLen - hdr_len;
  const n = Math.max(1, Math.ceil(payload / q.buf_size));
  const data_lens = Array.from({ length: n }, (_, k) => Math.min(q.buf_size, payload - k * q.buf_size));
  return { hdr_len, data_lens };
}

/** The frame-dependent fields of one RX_CQE, by RX_CQE field name; FLAGS without the phase bit. */
export interface RxCqeFields {
  readonly QUEUE: number;
  readonly CSUM: number;
  readonly HDR_LEN: number;
  readonly DATA_LEN: number;
  readonly RSS_HASH: number;
  readonly FILTER_INDEX: number;
  readonly FRAME_LEN: number;
  readonly FLAGS: number;
}

export interface RxDelivery extends RxLayout {
  readonly queue: number;
  /** One entry per descriptor used, SOP first, EOP last (COOKIE and INDEX come from the ring). */
  readonly cqes: readonly RxCqeFields[];
  /** The bytes the header buffer and each data buffer receive. */
  readonly header: Uint8Array;
  readonly data: readonly Uint8Array[];
}

export interface RxExpect {
  readonly cls: RxClass;
  /** Dropped whatever the queue state: by a drop filter, or longer than MAX_FRAME (STAT_RX_DROP_BAD). */
  readonly drop: 'filter' | 'bad' | null;
  readonly delivery: RxDelivery | null;
}

/** What the NIC must do with `frame`, given the steering tables and the RX queues' settings. */
export function rxExpect(frame: Uint8Array, t: SteerTables, queues: readonly RxQueueConf[]): RxExpect {
  const cls = rxClassify(frame, t);
  const { steer } = cls;
  if (frame.length > MAX_FRAME) return { cls, drop: 'bad', delivery: null };
  if (steer.drop) return { cls, drop: 'filter', delivery: null };
  const q = queues[steer.queue];
  if (!q) throw new RangeError(`frame steered to RX queue ${steer.queue}, only ${queues.length} configured`);
  const lay = rxLayout(cls.parse, frame.length, q);
  const common = (lay.hdr_len ? RX_FLAG.HDR_SPLIT : 0) | (steer.filter_hit ? RX_FLAG.FILTER_HIT : 0)
    | (steer.hash_valid ? RX_FLAG.HASH_VALID : 0);
  const last = lay.data_lens.length - 1;
  const cqes = lay.data_lens.map((DATA_LEN, k) => ({
    QUEUE: steer.queue, CSUM: rxCsumBits(cls.csum), HDR_LEN: lay.hdr_len, DATA_LEN,
    RSS_HASH: steer.hash, FILTER_INDEX: steer.filter_index, FRAME_LEN: frame.length,
    FLAGS: common | (k === 0 ? RX_FLAG.SOP : 0) | (k === last ? RX_FLAG.EOP : 0),
  }));
  const data = lay.data_lens.map((n, k) => frame.subarray(lay.hdr_len + k * q.buf_size, lay.hdr_len + k * q.buf_size + n));
  return { cls, drop: null, delivery: { ...lay, queue: steer.queue, cqes, header: frame.subarray(0, lay.hdr_len), data } };
}
