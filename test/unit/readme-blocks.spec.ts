import { describe, expect, it } from '@jest/globals';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { blockName, blocksOf, checkBlocks, type CodeBlock, extractTsBlocks, FRAGMENT_MARKER } from '../support/readme-blocks.js';

/**
 * Every ```ts block in README.md and docs/*.md compiles as a module of a
 * user's app against lib/ (see test/support/readme-blocks.ts). Blocks are
 * complete: imports included. A block meant as a fragment is preceded by the
 * line `<!-- fragment -->` and skipped; a line that shows a compile error on
 * purpose carries `// @ts-expect-error`.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WORK = join(ROOT, '.build', 'readme-blocks');

const files = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const blocks = blocksOf(ROOT, files);
const checked = blocks.filter((b) => !b.fragment);
let results: Map<CodeBlock, string> | undefined;

function resultOf(block: CodeBlock): string {
  results ??= checkBlocks(ROOT, join(WORK, 'docs'), blocks);
  return results.get(block) ?? 'not checked';
}

describe('the ```ts blocks of the README and docs/', () => {
  it('finds the README blocks', () => {
    expect(blocks.filter((b) => b.file === 'README.md').length).toBeGreaterThanOrEqual(5);
  });

  it.each(checked.map((block) => [blockName(block), block] as const))('%s compiles', (_name, block) => {
    expect(resultOf(block)).toBe('');
  });
});

describe('the block checker', () => {
  const markdown = [
    '# Sample',
    '',
    '```ts',
    "import { JobQueue } from 'nestjs-jobs';",
    'export const ok = (jobs: JobQueue) => jobs.metrics().stuck;',
    '```',
    '',
    '```ts',
    "import { JobQueue } from 'nestjs-jobs';",
    'export const broken = (jobs: JobQueue) => jobs.metrics().nope;',
    '```',
    '',
    '```ts',
    '@Module({})',
    'export class AppModule {}',
    '```',
    '',
    FRAGMENT_MARKER,
    '```ts',
    'this is not TypeScript at all',
    '```',
    '',
    '```bash',
    'npm test',
    '```',
  ].join('\n');
  const sample = extractTsBlocks('SAMPLE.md', markdown);

  it('extracts the ts blocks with the line of their first code line, and marks fragments', () => {
    expect(sample.map((b) => [b.line, b.fragment])).toEqual([
      [4, false],
      [9, false],
      [14, false],
      [20, true],
    ]);
  });

  it('passes a good block, and fails a broken one or one without its imports, naming file, line and error', () => {
    const results = checkBlocks(ROOT, join(WORK, 'self-test'), sample);
    expect(results.get(sample[0])).toBe('');
    expect(blockName(sample[1])).toBe("SAMPLE.md:9 (import { JobQueue } from 'nestjs-jobs';)");
    expect(results.get(sample[1])).toMatch(/^SAMPLE\.md:10:\d+ TS2339: Property 'nope' does not exist on type 'JobsMetrics'\./);
    expect(results.get(sample[2])).toMatch(/^SAMPLE\.md:14:2 TS\d+: Cannot find name 'Module'\./);
    expect(results.has(sample[3])).toBe(false);
  });
});
