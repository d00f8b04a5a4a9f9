/**
 * A mistake by the user (bad flag, missing token): one line, exit code 2.
 *
 * @example
 * ```ts
 * throw new UsageError("Missing token: set GITHUB_TOKEN or pass --token.");
 * ```
 */
export class UsageError extends Error {
  /** Process exit code: 2 for usage errors. */
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
