// UserError marks an expected failure (bad config, missing data, corrupt file): the CLI prints
// its one-line message and exits non-zero, without a stack trace. Anything else is a bug.

export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

export function isUserError(err: unknown): err is UserError {
  return err instanceof UserError;
}
