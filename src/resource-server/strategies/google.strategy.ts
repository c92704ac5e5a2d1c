import { JwksStrategyFor } from './jwks.strategy.js';

/** Google-signed ID tokens: `iss` https://accounts.google.com (or the bare form), `aud` = the OAuth client id. */
export class GoogleStrategy extends JwksStrategyFor('google') {}
