#!/usr/bin/env node
import { runCli } from './run-cli.js';

// `doctor | head -2`: once the reader has gone, the rest of the output has nowhere to go; end quietly
// (the exit code set so far, else 0) rather than with an EPIPE stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(process.exitCode ?? 0);
});

// `npx nestjs-oauth-mcp <command>` (package.json "bin"); everything testable lives in runCli.
process.exitCode = await runCli(process.argv.slice(2));
