#!/usr/bin/env node
/**
 * Keeps docs/security-cases.md and the tests that name its case ids (`A4`, `K114`, `O-info`…) in step.
 *
 *   node scripts/security-cases-links.mjs           id → test files (first title per file), then any problem
 *   node scripts/security-cases-links.mjs --check   exit 1 when the doc and the tests disagree
 *   node scripts/security-cases-links.mjs --write   rewrite the doc's test links from the tests (descriptions kept)
 *
 * test/security/catalogue-coverage.spec.ts runs the same check in `npm run test:unit`.
 * A test names an id when the id is in the literal title of an it/test/describe call (skipped and todo tests
 * do not count as coverage). Titles are read with the TypeScript parser, so `it.each([...])('D41 …')` and
 * titles wrapped over several lines count.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DOC = 'docs/security-cases.md';
export const NOT_COVERED_MARK = '*Not covered yet.*';

const TEST_FUNCTIONS = new Set(['it', 'test', 'describe', 'fit', 'fdescribe', 'xit', 'xtest', 'xdescribe']);
const NOT_RUN = new Set(['skip', 'todo', 'xit', 'xtest', 'xdescribe']);

const toPosix = (path) => path.split(sep).join('/');

/** Case ids in a text, for the given group letters: `A4`, `K114`, and the `O-info` label. */
export function idsIn(text, letters) {
  const re = new RegExp(`(?<![A-Za-z0-9_])([${letters}](?:\\d{1,3}|-info))(?![A-Za-z0-9_])`, 'g');
  return [...new Set([...text.matchAll(re)].map((m) => m[1]))];
}

/** Test sources: everything under test/, and the specs beside the library sources. */
export function testSources(root = ROOT) {
  const out = [];
  const walk = (dir, keep) => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(path, keep);
      else if (keep(entry.name)) out.push(path);
    }
  };
  if (existsSync(join(root, 'test'))) walk('test', (name) => /\.(ts|mts|js|mjs)$/.test(name));
  if (existsSync(join(root, 'src'))) walk('src', (name) => name.endsWith('.spec.ts'));
  // Links list the catalogue's own specs first, then other e2e specs, then unit specs.
  const rank = (path) => (path.startsWith('test/security/') ? 0 : path.startsWith('test/') ? 1 : 2);
  return out.sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}

/** The title of a test call as written: literal text, `${…}` for each substitution; undefined unless literal. */
function titleText(node) {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isTemplateExpression(node)) {
    return node.head.text + node.templateSpans.map((span) => '${…}' + span.literal.text).join('');
  }
  return undefined;
}

/** The name chain of a callee: `it.concurrent.each([...])` → ['it', 'concurrent', 'each'], or undefined. */
function calleeChain(node) {
  if (ts.isIdentifier(node)) return [node.text];
  if (ts.isPropertyAccessExpression(node)) {
    const base = calleeChain(node.expression);
    return base && [...base, node.name.text];
  }
  if (ts.isCallExpression(node) || ts.isTaggedTemplateExpression(node)) {
    const base = calleeChain(ts.isCallExpression(node) ? node.expression : node.tag);
    return base?.at(-1) === 'each' ? base : undefined;
  }
  return undefined;
}

/** Every it/test/describe title in one source file, in source order. */
export function testTitles(root, file) {
  const text = readFileSync(join(root, file), 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const titles = [];
  const visit = (node) => {
    // `it.each(table)` itself is not a test call; the call it returns, `it.each(table)('title', fn)`, is.
    const call = ts.isCallExpression(node) && node.arguments.length > 0;
    const tableCall = call && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === 'each';
    const title = call && !tableCall ? titleText(node.arguments[0]) : undefined;
    if (title !== undefined) {
      const chain = calleeChain(node.expression);
      if (chain && TEST_FUNCTIONS.has(chain[0])) {
        titles.push({
          title,
          line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1,
          kind: chain[0].includes('describe') ? 'describe' : 'test',
          runs: !chain.some((name) => NOT_RUN.has(name)),
        });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return titles;
}

/**
 * Which tests name which id: id → file → titles naming it (running tests before describe blocks, each in
 * source order). `all` also holds skipped and todo tests, which name ids but cover nothing.
 */
export function collectTests(root = ROOT, letters = 'A-O') {
  const covered = new Map();
  const all = new Map();
  const add = (map, id, file, title) => {
    if (!map.has(id)) map.set(id, new Map());
    const files = map.get(id);
    if (!files.has(file)) files.set(file, []);
    files.get(file).push(title);
  };
  for (const file of testSources(root)) {
    const titles = testTitles(root, file);
    titles.sort((a, b) => (a.kind === b.kind ? a.line - b.line : a.kind === 'test' ? -1 : 1));
    for (const t of titles) {
      for (const id of idsIn(t.title, letters)) {
        add(all, id, file, t);
        if (t.runs) add(covered, id, file, t);
      }
    }
  }
  return { covered, all };
}

/** An inline code span holding `text` exactly (CommonMark: a longer fence when the text has backticks). */
function codeSpan(text) {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = longest > 0 || text.startsWith(' ') || text.endsWith(' ') ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

function fromCodeSpan(span) {
  const m = /^(`+)(.*)\1$/.exec(span.trim());
  if (!m) return undefined;
  const inner = m[2];
  return inner.length > 1 && inner.startsWith(' ') && inner.endsWith(' ') ? inner.slice(1, -1) : inner;
}

const CASE_LINE = /^- \*\*(\S+) /;
const LINK_LINE = /^ {2}- \[([^\]]+)\]\(([^)]+)\): (.*)$/;
const GROUP_LINE = /^## ([A-Z])\. /;

/** The doc's groups and cases; each case with its test links and whether it is marked not covered yet. */
export function parseDoc(text, docPath = DOC) {
  const lines = text.split('\n');
  const groups = [];
  const cases = [];
  const problems = [];
  let current;
  let inGroup;
  lines.forEach((line, index) => {
    if (line.startsWith('## ')) {
      // Cases live under "## X. …" group headings only; any other section ends the groups' reach.
      const group = GROUP_LINE.exec(line)?.[1];
      if (group) groups.push(group);
      inGroup = group;
      current = undefined;
      return;
    }
    const head = CASE_LINE.exec(line);
    if (head && inGroup) {
      const id = head[1].replace(/[.:]$/, '');
      current = { id, group: inGroup, line: index + 1, end: index, links: [], notCovered: false };
      cases.push(current);
      return;
    }
    if (!current) return;
    if (!line.startsWith('  ')) {
      current = undefined;
      return;
    }
    current.end = index;
    const link = LINK_LINE.exec(line);
    if (link) {
      const file = toPosix(join(dirname(docPath), link[2]));
      current.links.push({ text: link[1], href: link[2], file, title: fromCodeSpan(link[3]), line: index + 1 });
    } else if (line.trim() === NOT_COVERED_MARK) {
      current.notCovered = true;
    } else if (line.startsWith('  - ')) {
      problems.push(`${docPath}:${index + 1}: a test link must read "  - [path](relative path): \`title\`"`);
    }
  });
  const seen = new Set();
  for (const c of cases) {
    if (seen.has(c.id)) problems.push(`${docPath}:${c.line}: ${c.id} is listed twice`);
    seen.add(c.id);
    if (!c.id.startsWith(c.group)) problems.push(`${docPath}:${c.line}: ${c.id} is under group ${c.group}`);
    if (idsIn(c.id, c.group)[0] !== c.id) {
      problems.push(`${docPath}:${c.line}: "${c.id}" is not a case id (a letter and a number, or O-info)`);
    }
  }
  return { groups, cases, problems };
}

/** The doc's group letters, for a regex character class (`ABC…O`). */
const letterClass = (groups) => groups.join('') || 'A-O';

const fixHint = 'node scripts/security-cases-links.mjs --write';
const listHint = 'NOT_COVERED_YET in test/security/catalogue-coverage.spec.ts';

/**
 * Every disagreement between the doc and the tests, as sentences. `notCoveredYet`: the ids allowed to have no
 * test (they must be exactly the ones the doc marks).
 */
export function check(root = ROOT, { notCoveredYet } = {}) {
  const { groups, cases, problems } = parseDoc(readFileSync(join(root, DOC), 'utf8'));
  const { covered, all } = collectTests(root, letterClass(groups));
  const inDoc = new Set(cases.map((c) => c.id));
  const describe = (files) => [...files].map(([file, titles]) => `${file} ("${titles[0].title}")`).join(', ');

  for (const c of cases) {
    const testFiles = covered.get(c.id) ?? new Map();
    if (c.notCovered) {
      if (c.links.length > 0) problems.push(`${c.id} is marked not covered yet but links tests`);
      if (testFiles.size > 0) {
        problems.push(`${c.id} is marked not covered yet, but tests name it: ${describe(testFiles)}; run ${fixHint} and drop it from ${listHint}`);
      }
      continue;
    }
    if (testFiles.size === 0) {
      problems.push(`${c.id}: no test names it (name it in an it/describe title, or mark it ${NOT_COVERED_MARK} and add it to ${listHint})`);
    }
    for (const link of c.links) {
      const where = `${DOC}:${link.line}: ${c.id}`;
      if (!existsSync(join(root, link.file))) {
        problems.push(`${where} links ${link.href}, which does not exist`);
      } else if (!testFiles.has(link.file)) {
        problems.push(`${where} links ${link.file}, where no test title names ${c.id}`);
      } else if (!testFiles.get(link.file).some((t) => t.title === link.title)) {
        problems.push(`${where}: ${link.file} has no test titled ${JSON.stringify(link.title)} naming ${c.id}; run ${fixHint}`);
      }
      if (link.text !== link.file) problems.push(`${where}: the link text should be the path ${link.file}`);
    }
    const linked = new Set(c.links.map((l) => l.file));
    const unlinked = [...testFiles.keys()].filter((file) => !linked.has(file));
    if (unlinked.length > 0) problems.push(`${c.id}: not linked to ${unlinked.join(', ')}, whose tests name it; run ${fixHint}`);
  }
  for (const [id, files] of all) {
    if (!inDoc.has(id)) problems.push(`${id} is named by ${describe(files)} but is not a case in ${DOC}`);
  }
  if (notCoveredYet) {
    const marked = cases.filter((c) => c.notCovered).map((c) => c.id);
    const expected = new Set(notCoveredYet);
    for (const id of marked) {
      if (!expected.has(id)) problems.push(`${id} is marked not covered yet in ${DOC} but is not in ${listHint}`);
    }
    for (const id of expected) {
      if (!marked.includes(id)) problems.push(`${id} is in ${listHint} but not marked ${NOT_COVERED_MARK} in ${DOC}`);
    }
  }
  return problems;
}

/** The link lines of one case: one per file, with the first title naming the id. */
export function linkLines(files, docPath = DOC) {
  return [...files].map(([file, titles]) => {
    const href = toPosix(relative(dirname(docPath), file));
    return `  - [${file}](${href}): ${codeSpan(titles[0].title)}`;
  });
}

/** The doc with every case's links regenerated; a case that gained tests loses its not-covered mark. */
export function rewriteDoc(root = ROOT) {
  const text = readFileSync(join(root, DOC), 'utf8');
  const { groups, cases } = parseDoc(text);
  const { covered } = collectTests(root, letterClass(groups));
  const lines = text.split('\n');
  for (const c of [...cases].reverse()) {
    const body = lines.slice(c.line, c.end + 1);
    const description = body.filter((l) => !LINK_LINE.test(l) && l.trim() !== NOT_COVERED_MARK);
    const files = covered.get(c.id);
    const tail = files ? linkLines(files) : c.notCovered ? [`  ${NOT_COVERED_MARK}`] : [];
    lines.splice(c.line, c.end + 1 - c.line, ...description, ...tail);
  }
  return lines.join('\n');
}

function main(args) {
  if (args.includes('--write')) {
    writeFileSync(join(ROOT, DOC), rewriteDoc());
    console.log(`${DOC}: test links rewritten; review the diff`);
  } else if (!args.includes('--check')) {
    const doc = join(ROOT, DOC);
    const { groups } = existsSync(doc) ? parseDoc(readFileSync(doc, 'utf8')) : { groups: [] };
    const { covered } = collectTests(ROOT, letterClass(groups));
    const order = (id) => [id[0], Number(id.slice(1)) || 0];
    const ids = [...covered.keys()].sort((a, b) => {
      const [ga, na] = order(a);
      const [gb, nb] = order(b);
      return ga === gb ? na - nb : ga < gb ? -1 : 1;
    });
    for (const id of ids) console.log(`${id}\n${linkLines(covered.get(id)).join('\n')}`);
  }
  if (!existsSync(join(ROOT, DOC))) return 1;
  const problems = check();
  for (const p of problems) console.error(`✘ ${p}`);
  if (problems.length === 0) console.error(`✔ ${DOC} agrees with the tests`);
  return problems.length > 0 && args.includes('--check') ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
