#!/usr/bin/env node
import { runCli } from './run-cli.js';

// `npx nestjs-oauth-mcp <command>` (package.json "bin"); everything testable lives in runCli.
process.exitCode = await runCli(process.argv.slice(2));
