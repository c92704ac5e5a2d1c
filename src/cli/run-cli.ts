import { parseArgs } from 'node:util';
import { CliUsageError, resolveContext, type CliContext, type ResolvedCliContext } from './cli-context.js';

export type { CliContext, CliOutput } from './cli-context.js';

const USAGE = `Usage: nestjs-oauth-mcp <command> [options]

Commands:
  secret   print a new random 32-byte secret (base64) for JWT_SECRET
  token    mint an HS256 token with JWT_SECRET for local testing (not with NODE_ENV=production)
  doctor   check the configuration (environment and .env) and the identity provider; exit 1 on any ✘

Run "nestjs-oauth-mcp <command> --help" for the options of a command.`;

interface Command {
  usage: string;
  run(args: string[], context: ResolvedCliContext): number | Promise<number>;
}

/** Loaded on demand, so `secret` does not pay for Nest and class-validator. */
const COMMANDS: Record<string, () => Promise<Command>> = {
  secret: async () => {
    const { SECRET_USAGE, secretCommand } = await import('./secret.command.js');
    return {
      usage: SECRET_USAGE,
      run: (args, context) => {
        parseArgs({ args, options: {}, strict: true, allowPositionals: false });
        return secretCommand(context);
      },
    };
  },
  token: async () => {
    const { TOKEN_USAGE, tokenCommand } = await import('./token.command.js');
    return { usage: TOKEN_USAGE, run: tokenCommand };
  },
  doctor: async () => {
    const { DOCTOR_USAGE, doctorCommand } = await import('./doctor/doctor.command.js');
    return { usage: DOCTOR_USAGE, run: doctorCommand };
  },
};

/**
 * The `nestjs-oauth-mcp` command line, callable in-process: `argv` without the node and script
 * paths. Returns the exit code: 0 success, 1 a refusal or a failed check, 2 a usage error.
 */
export async function runCli(argv: readonly string[], context: CliContext = {}): Promise<number> {
  const ctx = resolveContext(context);
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? ctx.stderr : ctx.stdout).write(`${USAGE}\n`);
    return name === undefined ? 2 : 0;
  }
  if (!Object.hasOwn(COMMANDS, name)) {
    ctx.stderr.write(`nestjs-oauth-mcp: unknown command ${JSON.stringify(name)}\n\n${USAGE}\n`);
    return 2;
  }
  const command = await COMMANDS[name]();
  if (rest.includes('--help') || rest.includes('-h')) {
    ctx.stdout.write(`${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run([...rest], ctx);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (err instanceof CliUsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_'))) {
      ctx.stderr.write(`${(err as Error).message}\n\n${command.usage}\n`);
      return 2;
    }
    ctx.stderr.write(`nestjs-oauth-mcp ${name}: ${(err as Error).message}\n`);
    return 1;
  }
}
