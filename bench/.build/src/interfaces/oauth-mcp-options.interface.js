export const OAUTH_PROVIDERS = ['hmac', 'okta', 'google', 'azure', 'oidc'];
export const OAUTH_MODES = ['native', 'proxy'];
