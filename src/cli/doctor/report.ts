import type { ResolvedCliContext } from '../cli-context.js';

type Mark = '✔' | '⚠' | '✘';

/** Collects check lines (stdout) and progress (stderr); counts problems and warnings. */
export class DoctorReport {
  failures = 0;
  warnings = 0;

  constructor(private readonly context: ResolvedCliContext) {}

  ok(check: string, text: string): void {
    this.line('✔', check, text);
  }

  warn(check: string, text: string): void {
    this.warnings++;
    this.line('⚠', check, text);
  }

  fail(check: string, text: string): void {
    this.failures++;
    this.line('✘', check, text);
  }

  progress(text: string): void {
    this.context.stderr.write(`… ${text}\n`);
  }

  private line(mark: Mark, check: string, text: string): void {
    this.context.stdout.write(`${mark} ${check}: ${text}\n`);
  }
}

export function summary(report: DoctorReport, context: ResolvedCliContext): number {
  context.stdout.write(
    report.failures > 0
      ? `${report.failures} problem(s), ${report.warnings} warning(s): fix every ✘ line.\n`
      : `No problems${report.warnings > 0 ? `, ${report.warnings} warning(s)` : ''}.\n`,
  );
  return report.failures > 0 ? 1 : 0;
}

/** A value as JSON, for quoting configuration values in a check line. */
export const q = (value: unknown): string => JSON.stringify(value);
