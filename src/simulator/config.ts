/**
 * The simulator's and ev-sim's reads of the environment, in one place (the CSMS's are in
 * src/csms/config.ts). Everything else takes these values as arguments. Imports nothing: ev-sim loads
 * it before `--help`.
 */

/** True on a CI runner (`CI` set to anything but empty): ev-sim prints plain progress lines, no live dashboard. */
export function isCi(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.CI);
}

/**
 * A copy of this process's environment for a child process to inherit (PATH, HOME, RabbitMQ's own
 * variables). The one narrow exception to "only read here": it is passed on whole and unread; the
 * caller adds or removes what the child must or must not see.
 */
export function inheritedEnv(): NodeJS.ProcessEnv {
  return { ...process.env };
}
