import { JwksStrategyFor } from './jwks.strategy.js';

/**
 * Okta custom authorization server tokens (`iss` = https://{org}.okta.com/oauth2/{id}, exact: the org
 * server and other custom servers are refused); scopes in `scp`, client id in `cid`.
 */
export class OktaStrategy extends JwksStrategyFor('okta') {}
