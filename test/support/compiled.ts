import { join, resolve } from 'node:path';

/** The repository, the compiled library (dist/) and examples (.build/examples/), built once by test/setup/build-once.ts. */
export const ROOT = resolve(import.meta.dirname, '../..');
export const DIST = join(ROOT, 'dist');
export const EXAMPLES_BUILD = join(ROOT, '.build/examples');

/**
 * The machine's own Node (the one that ran `npm test`; 20.19+ is what `engines` promises), for the
 * specs that start compiled code as a real process. Jest itself runs on Node 24 from devDependencies.
 */
export const SYSTEM_NODE = process.env.npm_node_execpath ?? process.execPath;
