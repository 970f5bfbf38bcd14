/** A misuse of a CLI: printed as one line (no stack trace) and exit code 2. */
export class UsageError extends Error {}
