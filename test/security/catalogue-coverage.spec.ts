import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { check, DOC, ROOT, rewriteDoc } from '../../scripts/security-cases-links.mjs';

/**
 * Catalogue cases with no test on main yet: issue 13's findings whose fixes and tests are still under way. The doc
 * marks exactly these *Not covered yet.*; drop an id here once a test names it.
 */
const NOT_COVERED_YET: string[] = [];

describe('docs/security-cases.md and the test titles agree', () => {
  it('every case has a test or is listed as not covered yet, every id a test names is a case, every link is current', () => {
    expect(check(ROOT, { notCoveredYet: NOT_COVERED_YET })).toEqual([]);
  });
});

describe('the catalogue check catches drift (a scratch repository)', () => {
  let root: string;
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  const link = (file: string, title: string) => `  - [${file}](../${file}): \`${title}\``;
  const doc = (...lines: string[]) => write(DOC, ['# Cases', '', '## X. Group', '', ...lines, ''].join('\n'));

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'catalogue-'));
    write(
      'test/x.e2e-spec.ts',
      [
        "describe('X1/X2 group title', () => {",
        "  it('X1 first', () => {});",
        '  it.each([[1]])(',
        "    'X2 wrapped title %s',",
        '    () => {},',
        '  );',
        '});',
        "it.skip('X3 skipped', () => {});",
        "it.each([['X8 in a table, not a title']])('plain %s', () => {});",
      ].join('\n'),
    );
    write('src/y.spec.ts', "it('X1 unit', () => {});\n");
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('passes on an agreeing doc, links in the order the script writes them', () => {
    doc(
      '- **X1 One.** attack → answer.',
      link('test/x.e2e-spec.ts', 'X1 first'),
      link('src/y.spec.ts', 'X1 unit'),
      '- **X2 Two.** attack → answer.',
      link('test/x.e2e-spec.ts', 'X2 wrapped title %s'),
      '- **X3 Three.** attack → answer.',
      '  *Not covered yet.*',
    );
    expect(check(root, { notCoveredYet: ['X3'] })).toEqual([]);
    expect(rewriteDoc(root)).toBe(readFileSync(join(root, DOC), 'utf8'));
  });

  it('fails for a case no test names, a test naming an unknown id, a missing file, a file not naming the id, a stale title, an unlinked file', () => {
    write('test/z.e2e-spec.ts', "it('X9 not in the doc', () => {});\n");
    doc(
      '- **X1 One.** attack → answer.',
      link('test/x.e2e-spec.ts', 'X1 renamed since'),
      '- **X2 Two.** attack → answer.',
      link('test/gone.e2e-spec.ts', 'X2 wrapped title %s'),
      link('src/y.spec.ts', 'X1 unit'),
      '- **X3 Three.** skipped tests cover nothing.',
    );
    const problems = check(root).join('\n');
    expect(problems).toMatch(/X1: test\/x\.e2e-spec\.ts has no test titled "X1 renamed since"/);
    expect(problems).toMatch(/X1: not linked to src\/y\.spec\.ts/);
    expect(problems).toMatch(/X2 links \.\.\/test\/gone\.e2e-spec\.ts, which does not exist/);
    expect(problems).toMatch(/X2 links src\/y\.spec\.ts, where no test title names X2/);
    expect(problems).toMatch(/X2: not linked to test\/x\.e2e-spec\.ts/);
    expect(problems).toMatch(/X3: no test names it/);
    expect(problems).toMatch(/X9 is named by test\/z\.e2e-spec\.ts .* but is not a case/);
    expect(problems).not.toMatch(/X8/);
  });

  it('holds the not-covered list exactly: a listed id that gains a test, or a marked id missing from the list, fails', () => {
    doc(
      '- **X1 One.** attack → answer.',
      '  *Not covered yet.*',
      '- **X2 Two.** attack → answer.',
      link('test/x.e2e-spec.ts', 'X2 wrapped title %s'),
      '- **X3 Three.** attack → answer.',
      '  *Not covered yet.*',
    );
    const problems = check(root, { notCoveredYet: ['X1', 'X2'] }).join('\n');
    expect(problems).toMatch(/X1 is marked not covered yet, but tests name it/);
    expect(problems).toMatch(/X2 is in NOT_COVERED_YET .* but not marked/);
    expect(problems).toMatch(/X3 is marked not covered yet .* but is not in NOT_COVERED_YET/);
  });

  it('--write relinks from the tests and keeps the descriptions', () => {
    doc(
      '- **X1 One.** attack',
      '  → answer.',
      link('test/x.e2e-spec.ts', 'X1 renamed since'),
      '- **X2 Two.** attack → answer.',
      '  *Not covered yet.*',
      '- **X3 Three.** attack → answer.',
      '  *Not covered yet.*',
    );
    write(DOC, rewriteDoc(root));
    expect(check(root, { notCoveredYet: ['X3'] })).toEqual([]);
    expect(readFileSync(join(root, DOC), 'utf8')).toContain('- **X1 One.** attack\n  → answer.\n  - [test/x.e2e-spec.ts]');
  });
});
