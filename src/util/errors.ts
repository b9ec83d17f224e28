/** An error caused by the user's input or environment: printed as its message alone, never with a stack trace. */
export class UserError extends Error {
  constructor(
    message: string,
    /** Process exit code the CLI uses for it. */
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** Bad command-line usage: exit code 2, as with most Unix tools. */
export class UsageError extends UserError {
  constructor(message: string) {
    super(message, 2);
    this.name = 'UsageError';
  }
}
