// Types for test/security/catalogue-coverage.spec.ts; the script itself is plain JavaScript so that any Node runs it.
export declare const ROOT: string;
export declare const DOC: string;
export declare const NOT_COVERED_MARK: string;
export declare function idsIn(text: string, letters: string): string[];
export declare function testSources(root?: string): string[];
export interface TestTitle {
  title: string;
  line: number;
  kind: 'test' | 'describe';
  runs: boolean;
}
export declare function testTitles(root: string, file: string): TestTitle[];
export declare function collectTests(
  root?: string,
  letters?: string,
): { covered: Map<string, Map<string, TestTitle[]>>; all: Map<string, Map<string, TestTitle[]>> };
export declare function check(root?: string, options?: { notCoveredYet?: readonly string[] }): string[];
export declare function linkLines(files: Map<string, TestTitle[]>, docPath?: string): string[];
export declare function rewriteDoc(root?: string): string;
export interface DocCase {
  id: string;
  group: string;
  line: number;
  links: { text: string; href: string; file: string; title: string | undefined; line: number }[];
  notCovered: boolean;
}
export declare function parseDoc(text: string, docPath?: string): { groups: string[]; cases: DocCase[]; problems: string[] };
