import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { startExampleServer } from './bootstrap.js';

// The example MCP server: `npm start`. `.env` is read first (variables already set win), and the
// process exits non-zero with the reason when the configuration is refused.
if (existsSync('.env')) process.loadEnvFile('.env');
try {
  await startExampleServer();
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}
