/** A failure the CLI reports as one line, without a stack. */
export class CliError extends Error {}
