/**
 * vmtd cannot start: one line naming the cause (an address and port, the data directory), and
 * the sysexits(3) code to end with: 69 (EX_UNAVAILABLE) for an address in use or not available,
 * 71 (EX_OSERR) for anything else the system refused.
 */
export class StartupError extends Error {
  constructor(
    message: string,
    readonly sysexit: 69 | 71,
  ) {
    super(message);
    this.name = 'StartupError';
  }
}
