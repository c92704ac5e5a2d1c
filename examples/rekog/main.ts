import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { startRekogExampleServer } from './bootstrap.js';

// The @rekog/mcp-nest example: `npm run start:rekog`. Same environment as `npm start`.
if (existsSync('.env')) process.loadEnvFile('.env');
try {
  await startRekogExampleServer();
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}
