import { InvalidScopeError } from '../../errors/oauth.errors.js';
import { SCOPE_TOKEN } from '../../config/scope-rules.js';
import type { ClientRecord } from '../clients/client.interface.js';
import { single } from '../http/request-params.js';

const SCOPE_PARAM = new RegExp(`^${SCOPE_TOKEN.source.slice(1, -1)}( ${SCOPE_TOKEN.source.slice(1, -1)})*$`);

/**
 * The token request's `scope` (RFC 6749 §3.3), each scope once: undefined when absent or empty (the
 * server's default applies), 400 `invalid_scope` when malformed.
 */
export function requestedScopes(body: unknown): string[] | undefined {
  const scope = single(body, 'scope', 4096);
  if (scope === undefined || scope === '') return undefined;
  if (!SCOPE_PARAM.test(scope)) throw new InvalidScopeError();
  return [...new Set(scope.split(' '))];
}

/**
 * What a pre-registered client was registered for (its `scope`, RFC 7591 §2) bounds every grant it gets.
 * A dynamically registered client's `scope` is its own choice, so it bounds nothing.
 */
export function withinClientRegistration(client: ClientRecord, scopes: readonly string[]): string[] {
  if (client.source !== 'static' || client.scope === undefined) return [...scopes];
  const registered = client.scope.split(' ');
  return scopes.filter((s) => registered.includes(s));
}
