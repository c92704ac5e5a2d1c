export * from './oauth.errors.js';
export * from './config.errors.js';
export * from './tls.errors.js';
