// pcap capture (the classic libpcap format, nanosecond timestamps, LINKTYPE_ETHERNET), so a
// run's wire opens in Wireshark and tshark. Timestamps are simulated time: cycle x clock period.

import { closeSync, openSync, writeSync } from 'node:fs';

const MAGIC_NS = 0xa1b23c4d;
const LINKTYPE_ETHERNET = 1;
const SNAPLEN = 65535;

export class PcapWriter {
  private fd: number | null;
  /** Frames written. */
  frames = 0;

  constructor(
    readonly path: string,
    private readonly periodPs: number,
  ) {
    this.fd = openSync(path, 'w');
    const h = Buffer.alloc(24);
    h.writeUInt32LE(MAGIC_NS, 0);
    h.writeUInt16LE(2, 4);
    h.writeUInt16LE(4, 6);
    h.writeInt32LE(0, 8); // thiszone
    h.writeUInt32LE(0, 12); // sigfigs
    h.writeUInt32LE(SNAPLEN, 16);
    h.writeUInt32LE(LINKTYPE_ETHERNET, 20);
    writeSync(this.fd, h);
  }

  /** One frame seen on the wire at `cycle`. */
  write(cycle: number, frame: Uint8Array): void {
    if (this.fd === null) throw new Error(`pcap ${this.path} is closed`);
    const ns = (BigInt(cycle) * BigInt(this.periodPs)) / 1000n;
    const r = Buffer.alloc(16);
    r.writeUInt32LE(Number(ns / 1_000_000_000n), 0);
    r.writeUInt32LE(Number(ns % 1_000_000_000n), 4);
    const cap = Math.min(frame.length, SNAPLEN);
    r.writeUInt32LE(cap, 8);
    r.writeUInt32LE(frame.length, 12);
    writeSync(this.fd, r);
    writeSync(this.fd, frame, 0, cap);
    this.frames++;
  }

  close(): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
  }
}
