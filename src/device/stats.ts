// What the host and either device backend count and record, the same on both: the RTL through its
// bridge session, the model in process (src/model/).

/** A fault the host saw on the device's DMA, worth a named marker in the waveform. */
export interface FaultEvent {
  readonly cycle: number;
  readonly label: string;
}

export interface SessionStats {
  dmaReads: number;
  dmaWrites: number;
  dmaBytesRead: number;
  dmaBytesWritten: number;
  dmaFaults: number;
  mmioReads: number;
  mmioWrites: number;
  irqs: number;
  batches: number;
  ethTxFrames: number;
  ethTxBytes: number;
  ethRxFrames: number;
  ethRxBytes: number;
  /** Driver events traced, and of those sent as MARK (runs with waves). */
  traceEvents: number;
  marks: number;
}

/** All counters at zero (the RTL's session and the reference model count the same things). */
export function newSessionStats(): SessionStats {
  return {
    dmaReads: 0, dmaWrites: 0, dmaBytesRead: 0, dmaBytesWritten: 0, dmaFaults: 0,
    mmioReads: 0, mmioWrites: 0, irqs: 0, batches: 0,
    ethTxFrames: 0, ethTxBytes: 0, ethRxFrames: 0, ethRxBytes: 0, traceEvents: 0, marks: 0,
  };
}
