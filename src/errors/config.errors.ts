import { inspect } from 'node:util';

/**
 * Thrown at bootstrap when the module options are unsafe or incomplete. The message lists every
 * problem at once, each naming the option and its environment variable, never its value.
 * @publicApi
 */
export class OAuthMcpConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`nestjs-oauth-mcp refused to start: ${problems.length} configuration problem(s):\n` + problems.map((p) => `  - ${p}`).join('\n'));
    this.name = this.constructor.name;
  }

  /**
   * How Nest's exception handler and Node print it: the problems, once. A stack through Nest's injector and a
   * `problems` dump repeating the message say nothing more about a setting to fix.
   */
  [inspect.custom](): string {
    return `${this.name}: ${this.message}`;
  }
}
