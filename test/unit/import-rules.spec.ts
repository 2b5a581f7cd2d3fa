import { describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/**
 * The folders of lib/ follow the wings of the architecture, and these rules keep
 * them honest (in the spirit of nestjs/terminus's tools/import-check.ts): the
 * engine knows nothing of Nest, drivers know only the engine, add-ons see the
 * package only through its public entry, and optional peers load only by the
 * subpath that needs them.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LIB = join(ROOT, 'lib');

type Wing = 'glue' | 'interfaces' | 'engine' | 'memory' | 'bullmq' | 'addon' | 'testing';

/** Peers users may leave uninstalled: each is imported only by the folders listed here. */
const OPTIONAL_PEERS: Readonly<Record<string, readonly string[]>> = {
  bullmq: ['bullmq'],
  ioredis: ['bullmq'],
  '@nestjs/terminus': ['health'],
  'prom-client': ['prometheus'],
  '@nestjs/testing': ['testing'],
};

/** Folders under lib/ and their wing; a new folder fails the test until it is given one here. */
const FOLDERS: Readonly<Record<string, Wing>> = {
  interfaces: 'interfaces',
  engine: 'engine',
  memory: 'memory',
  bullmq: 'bullmq',
  health: 'addon',
  prometheus: 'addon',
  dashboard: 'addon',
  // It builds a driver, so it sees the engine and the memory driver, and the glue's tokens to override.
  testing: 'testing',
};

interface Import {
  specifier: string;
  /** Erased from the emitted JavaScript: `import type`, `export type`, `import('x').T` in a type. */
  typeOnly: boolean;
}

interface Violation {
  file: string;
  specifier: string;
  rule: string;
}

function listTs(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return listTs(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/**
 * Every module specifier in a file. Only a clause-level `import type` / `export type`
 * is type-only: under verbatimModuleSyntax, `import { type A } from 'x'` still emits
 * `import {} from 'x'` and loads the module.
 */
function importsOf(path: string): Import[] {
  const source = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true);
  const found: Import[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push({ specifier: node.moduleSpecifier.text, typeOnly: node.importClause?.isTypeOnly === true });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push({ specifier: node.moduleSpecifier.text, typeOnly: node.isTypeOnly });
    } else if (
      ts.isImportEqualsDeclaration(node) &&
      ts.isExternalModuleReference(node.moduleReference) &&
      ts.isStringLiteral(node.moduleReference.expression)
    ) {
      found.push({ specifier: node.moduleReference.expression.text, typeOnly: node.isTypeOnly });
    } else if (
      ts.isCallExpression(node) &&
      (node.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(node.expression) && node.expression.text === 'require')) &&
      node.arguments.length > 0 &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      found.push({ specifier: node.arguments[0].text, typeOnly: false });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      found.push({ specifier: node.argument.literal.text, typeOnly: true });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The folder directly under lib/ ('' for a file directly in lib/), or null outside lib/. */
function folderOf(path: string): string | null {
  const rel = relative(LIB, path);
  if (rel.startsWith('..') || rel === '') return null;
  const parts = rel.split(sep);
  return parts.length === 1 ? '' : parts[0];
}

function wingOf(folder: string): Wing | undefined {
  return folder === '' ? 'glue' : FOLDERS[folder];
}

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

const INDEX = join(LIB, 'index.ts');
const CONSTANTS = join(LIB, 'jobs.constants.ts');
const JOBS_DRIVER = join(LIB, 'engine', 'jobs-driver.ts');

/** What a file in `folder` (of wing `wing`) may import; returns the rule broken, or null. */
function checkPackage(wing: Wing, folder: string, name: string, specifier: string): string | null {
  const owners = OPTIONAL_PEERS[name];
  if (owners !== undefined) {
    return owners.includes(folder) ? null : `optional peer "${name}" is imported only by lib/${owners.join(', lib/')}/`;
  }
  const isNode = specifier.startsWith('node:');
  const isNest = name.startsWith('@nestjs/');
  switch (wing) {
    case 'interfaces':
      return 'lib/interfaces/ imports no package (public types only)';
    case 'engine':
      // cron-parser: the cron library BullMQ's job schedulers use, so every driver computes the same ticks.
      return isNode || name === 'rxjs' || name === 'cron-parser'
        ? null
        : 'lib/engine/ imports only node:*, rxjs and cron-parser (no @nestjs/*, no other package)';
    case 'memory':
    case 'bullmq':
      return isNode || name === 'rxjs' ? null : `driver lib/${folder}/ imports only node:*, rxjs and its own broker packages (no @nestjs/*)`;
    case 'addon':
      return isNest || name === 'rxjs' ? null : `add-on lib/${folder}/ imports only @nestjs/*, rxjs and its own peer`;
    case 'testing':
      return isNode || isNest || name === 'rxjs' ? null : 'lib/testing/ imports only node:*, @nestjs/* and rxjs';
    case 'glue':
      return isNest || name === 'rxjs' || name === 'reflect-metadata' ? null : 'the glue imports only @nestjs/*, rxjs and reflect-metadata';
  }
}

function checkInternal(wing: Wing, folder: string, target: string, typeOnly: boolean): string | null {
  const targetFolder = folderOf(target);
  if (targetFolder === null) {
    const top = relative(ROOT, target).split(sep)[0];
    return `lib/ imports nothing outside lib/ (here ${top}/)`;
  }
  if (!existsSync(target)) return 'the specifier names no file in lib/';
  switch (wing) {
    case 'interfaces':
      if (targetFolder === 'interfaces') return null;
      if (target === JOBS_DRIVER) return typeOnly ? null : 'lib/interfaces/ imports lib/engine/jobs-driver.ts with `import type` only';
      return 'lib/interfaces/ imports only lib/interfaces/ and (type-only) lib/engine/jobs-driver.ts';
    case 'engine':
      return targetFolder === 'engine' || targetFolder === 'interfaces'
        ? null
        : 'lib/engine/ imports only lib/engine/ and lib/interfaces/ (no glue, driver or add-on)';
    case 'memory':
    case 'bullmq':
      return targetFolder === folder || targetFolder === 'engine' || targetFolder === 'interfaces'
        ? null
        : `driver lib/${folder}/ imports only lib/engine/, lib/interfaces/ and its own folder (no glue, other driver or add-on)`;
    case 'addon':
      return targetFolder === folder || target === INDEX
        ? null
        : `add-on lib/${folder}/ imports the package only through its public entry lib/index.ts ("../index.js")`;
    case 'testing':
      return targetFolder === folder || target === INDEX || target === CONSTANTS || ['engine', 'interfaces', 'memory'].includes(targetFolder)
        ? null
        : 'lib/testing/ imports its own folder, the public entry, lib/jobs.constants.ts (the tokens it overrides), lib/engine/, lib/interfaces/ and lib/memory/';
    case 'glue': {
      const targetWing = wingOf(targetFolder);
      if (!typeOnly && (targetWing === 'addon' || targetWing === 'bullmq')) {
        return `the glue does not load lib/${targetFolder}/ (optional peers load only by their subpath)`;
      }
      return null;
    }
  }
}

function checkFile(path: string): Violation[] {
  const file = relative(ROOT, path).split(sep).join('/');
  const folder = folderOf(path)!;
  const wing = wingOf(folder);
  if (wing === undefined) {
    return [{ file, specifier: '', rule: `no import rule covers lib/${folder}/: give the folder a wing in import-rules.spec.ts` }];
  }
  const violations: Violation[] = [];
  for (const { specifier, typeOnly } of importsOf(path)) {
    let rule: string | null;
    if (specifier.startsWith('.') || specifier.startsWith('/')) {
      const target = resolve(dirname(path), specifier).replace(/\.js$/, '.ts');
      rule = checkInternal(wing, folder, target, typeOnly);
    } else {
      rule = checkPackage(wing, folder, packageName(specifier), specifier);
    }
    if (rule !== null) violations.push({ file, specifier, rule });
  }
  return violations;
}

describe('import rules of lib/', () => {
  const files = listTs(LIB);

  it('scans every wing of lib/', () => {
    expect(files.length).toBeGreaterThan(30);
    const folders = new Set(files.map((path) => folderOf(path)));
    for (const folder of ['', 'interfaces', 'engine', 'memory', 'bullmq', 'health', 'prometheus', 'testing']) {
      expect(folders).toContain(folder);
    }
    // The parser finds imports: the kernel alone has dozens.
    expect(files.filter((path) => folderOf(path) === 'engine').flatMap(importsOf).length).toBeGreaterThan(20);
  });

  it('keeps every wing to the imports it may have', () => {
    const violations = files.flatMap(checkFile);
    expect(violations).toEqual([]);
  });
});
