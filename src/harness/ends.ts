// Each backend's MAC port as an end of the wire between two hosts.

import type { HostSession } from '../bridge/session.js';
import type { ZcnicModel } from '../model/nic.js';
import type { WireEnd } from '../wire/wire.js';

/** A model NIC's MAC port. */
export function modelWireEnd(m: ZcnicModel): WireEnd {
  return {
    name: m.name,
    onFrame: (h) => m.onEthTx((f) => h(f.frame, f.cycle)),
    deliverAt: (frame, bad, cycle) => m.macRxAt(frame, bad, cycle),
  };
}

/** An RTL NIC's MAC port, over its bridge session. */
export function rtlWireEnd(s: HostSession, name: string): WireEnd {
  return {
    name,
    onFrame: (h) => s.onEthTx((f) => h(f.frame, f.cycle)),
    deliverAt: (frame, bad, cycle) => s.ethRxAt(frame, bad, cycle),
  };
}
