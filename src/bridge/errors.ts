import { EXIT, type ErrCode } from '../abi/link.js';

/** Where a bridge fault happened, as far as it is known. */
export interface BridgeErrorContext {
  readonly cycle?: number;
  readonly seq?: number;
  /** Index of the offending message inside its batch. */
  readonly msgIndex?: number;
  readonly field?: string;
  readonly frameBytes?: number;
}

/** A protocol or link fault; `code` names the cause and decides the exit code. */
export class BridgeError extends Error {
  override readonly name = 'BridgeError';
  constructor(
    readonly code: ErrCode,
    message: string,
    readonly context: BridgeErrorContext = {},
  ) {
    super(message);
  }

  get exitCode(): number {
    return EXIT[this.code];
  }

  /** One line for logs: `E_CODE: message (cycle 12, batch 3, message 2)`. */
  describe(): string {
    const c = this.context;
    const where = [
      c.cycle !== undefined ? `cycle ${c.cycle}` : undefined,
      c.seq !== undefined ? `batch ${c.seq}` : undefined,
      c.msgIndex !== undefined ? `message ${c.msgIndex}` : undefined,
      c.field !== undefined ? `field ${c.field}` : undefined,
    ].filter((s): s is string => s !== undefined);
    return `${this.code}: ${this.message}${where.length ? ` (${where.join(', ')})` : ''}`;
  }
}
