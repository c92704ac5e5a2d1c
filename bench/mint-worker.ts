import { parentPort, workerData } from 'node:worker_threads';
import { mintRange } from './tokens.js';

const { key, template, tag, from, to } = workerData;
parentPort!.postMessage(mintRange(key, template, tag, from, to));
