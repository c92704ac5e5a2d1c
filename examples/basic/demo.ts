import { runDemo } from './demo-flow.js';

// `npm run demo`: the headless proof that the example works, against MCP_URL (default http://127.0.0.1:8080).
runDemo(process.env.MCP_URL ?? 'http://127.0.0.1:8080', process.env.DEMO_USER ?? 'alice').catch((err: Error) => {
  console.error(`demo failed: ${err.message}`);
  process.exit(1);
});
