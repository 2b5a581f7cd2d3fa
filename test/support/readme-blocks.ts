import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

/**
 * Typechecks the ```ts blocks of Markdown files against lib/, as a user's app
 * would import them (`nestjs-jobs`, `nestjs-jobs/health`, … mapped by the
 * `paths` of tsconfig.json).
 *
 * Every block is a complete module (imports included): the package is ESM,
 * so each block is a module of its own, and a missing import fails as
 * "Cannot find name". A block that is meant
 * as a fragment is marked by the line `<!-- fragment -->` right before its
 * fence (blank lines between are allowed) and is skipped. Lines that show a
 * compile error on purpose carry `// @ts-expect-error`, so they are checked too.
 */

/** The marker that exempts the ```ts block after it. */
export const FRAGMENT_MARKER = '<!-- fragment -->';

/** One ```ts block of a Markdown file. */
export interface CodeBlock {
  /** The Markdown file, relative to the repository root. */
  file: string;
  /** 1-based line of the block's first code line in that file. */
  line: number;
  code: string;
  /** Preceded by the fragment marker: not checked. */
  fragment: boolean;
}

/** Where a block is named in failures: `README.md:57 (import { Injectable } from '@nestjs/common';)`. */
export function blockName(block: CodeBlock): string {
  const first = block.code.split('\n').find((l) => l.trim() !== '') ?? '';
  return `${block.file}:${block.line} (${first.trim().slice(0, 70)})`;
}

/** The ```ts (or ```typescript) blocks of a Markdown text, in order. */
export function extractTsBlocks(file: string, markdown: string): CodeBlock[] {
  const lines = markdown.split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*(\w*)/.exec(lines[i]);
    if (open === null) continue;
    const [, indent, fence, lang] = open;
    const end = findClose(lines, i + 1, fence);
    if (lang === 'ts' || lang === 'typescript') {
      const code = lines
        .slice(i + 1, end)
        .map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l))
        .join('\n');
      blocks.push({ file, line: i + 2, code, fragment: previousNonBlank(lines, i) === FRAGMENT_MARKER });
    }
    i = end;
  }
  return blocks;
}

function findClose(lines: readonly string[], from: number, fence: string): number {
  for (let j = from; j < lines.length; j++) if (lines[j].trim().startsWith(fence) && lines[j].trim().replace(/[`~]/g, '') === '') return j;
  return lines.length;
}

function previousNonBlank(lines: readonly string[], i: number): string | undefined {
  for (let j = i - 1; j >= 0; j--) if (lines[j].trim() !== '') return lines[j].trim();
  return undefined;
}

/** The compiler options of the repository's tsconfig.json (its `paths` map `nestjs-jobs` to lib/). */
export function compilerOptions(root: string): ts.CompilerOptions {
  const configPath = join(root, 'tsconfig.json');
  const { config, error } = ts.readConfigFile(configPath, (path) => ts.sys.readFile(path));
  if (error !== undefined) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, root, undefined, configPath);
  return { ...parsed.options, noEmit: true, declaration: false, sourceMap: false };
}

/**
 * Typechecks the blocks (fragments skipped) and returns, per block, its errors
 * as text ('' when it compiles). Blocks are written as modules under `workDir`.
 * A block that augments `nestjs-jobs` (`declare module`) gets a program of its
 * own, so its declared job types do not leak into the other blocks.
 */
export function checkBlocks(root: string, workDir: string, blocks: readonly CodeBlock[]): Map<CodeBlock, string> {
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  const options = compilerOptions(root);
  const host = cachingHost(options, workDir);
  const fileOf = new Map<string, CodeBlock>();
  const shared: string[] = [];
  const alone: string[][] = [];
  blocks.forEach((block, index) => {
    if (block.fragment) return;
    const path = join(workDir, `block-${String(index + 1).padStart(2, '0')}-${block.file.replace(/\W+/g, '_')}-L${block.line}.ts`);
    writeFileSync(path, block.code + '\n');
    fileOf.set(path, block);
    if (/declare\s+module\s+['"]nestjs-jobs/.test(block.code)) alone.push([path]);
    else shared.push(path);
  });

  const results = new Map<CodeBlock, string>();
  let oldProgram: ts.Program | undefined;
  for (const rootNames of [shared, ...alone]) {
    if (rootNames.length === 0) continue;
    const program = ts.createProgram({ rootNames, options, host, oldProgram });
    oldProgram = program;
    for (const path of rootNames) {
      const block = fileOf.get(path)!;
      const sourceFile = program.getSourceFile(path)!;
      const problems: string[] = [];
      const diagnostics = [...program.getSyntacticDiagnostics(sourceFile), ...program.getSemanticDiagnostics(sourceFile)];
      for (const d of diagnostics) problems.push(describe(d, block, path, root));
      results.set(block, problems.join('\n'));
    }
  }
  return results;
}

function describe(d: ts.Diagnostic, block: CodeBlock, path: string, root: string): string {
  const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
  if (d.file === undefined || d.start === undefined) return `TS${d.code}: ${message}`;
  const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
  const inBlock = d.file.fileName === path.replace(/\\/g, '/');
  const where = inBlock ? `${block.file}:${block.line + line}:${character + 1}` : `${relative(root, d.file.fileName)}:${line + 1}`;
  const source = inBlock ? `\n    ${block.code.split('\n')[line]?.trim()}` : '';
  return `${where} TS${d.code}: ${message}${source}`;
}

/** A compiler host that parses each library file once for all the programs. */
function cachingHost(options: ts.CompilerOptions, workDir: string): ts.CompilerHost {
  const host = ts.createCompilerHost(options, true);
  const cache = new Map<string, ts.SourceFile | undefined>();
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    if (fileName.startsWith(workDir)) return getSourceFile(fileName, languageVersion, onError, shouldCreate);
    if (!cache.has(fileName)) cache.set(fileName, getSourceFile(fileName, languageVersion, onError, shouldCreate));
    return cache.get(fileName);
  };
  return host;
}

/** The blocks of the given Markdown files (paths relative to root). */
export function blocksOf(root: string, files: readonly string[]): CodeBlock[] {
  return files.flatMap((file) => extractTsBlocks(file, readFileSync(join(root, file), 'utf8')));
}
