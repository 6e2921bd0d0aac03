// Typed errors of the host model. Every error carries a stable `code` (tests and reports match on
// it) and the context a user needs to locate the problem: device, address, size, cycle.

export interface ErrorContext {
  readonly device?: string;
  readonly addr?: bigint;
  readonly size?: number;
  readonly cycle?: number;
}

export class HostModelError<C extends string = string> extends Error {
  constructor(
    readonly code: C,
    message: string,
    readonly context: ErrorContext = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

