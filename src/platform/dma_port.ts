// The contract between the bridge (which carries the device's DMA bursts) and the host platform
// (IOMMU, memory) that serves them. The bridge knows nothing of how an address is translated.

/** AXI response the device sees for a failed burst. */
export type DmaResp = 2 | 3; // SLVERR | DECERR

export type DmaFaultReason =
  | 'not_present' // no mapping / no RAM at the address
  | 'read_denied' // mapped without read permission
  | 'write_denied' // mapped without write permission
  | 'no_ram'; // passthrough/direct access to a physical address with no RAM behind it

/** A failed device access: what the device is told, and why (for the fault record). */
export interface DmaFault {
  readonly resp: DmaResp;
  readonly reason: DmaFaultReason;
  /** Bus address (IOVA or bus-physical) at which the access failed. */
  readonly addr: bigint;
}

export type DmaReadResult = { readonly ok: true; readonly data: Uint8Array } | { readonly ok: false; readonly fault: DmaFault };
export type DmaWriteResult = { readonly ok: true } | { readonly ok: false; readonly fault: DmaFault };

/** What a device sees of the host: byte-exact bursts at bus addresses, at a given cycle. */
export interface DeviceDmaPort {
  read(addr: bigint, len: number, cycle: number): DmaReadResult;
  write(addr: bigint, data: Uint8Array, cycle: number): DmaWriteResult;
}
