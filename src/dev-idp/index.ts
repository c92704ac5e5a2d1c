export { startDevIdp, type DevIdp, type DevIdpOptions } from './dev-idp.js';
export { headlessLogin, type HeadlessLoginOptions } from './headless-login.js';
