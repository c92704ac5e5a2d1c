/** The test kit's `freePort` (the example server needs its URL before it listens). */
export { freePort } from '../../src/testing/free-port.js';
