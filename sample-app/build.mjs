// `npm start`'s build: transpiles the sample app (-> sample-app/dist/) and the
// package it imports by name (-> sample-app/dist/node_modules/nestjs-jobs/) with
// swc, in about a second, so the demo shows within seconds of the command. Only
// JavaScript: `npm run build` is the full tsc build of dist/ with type
// declarations (never written here, so a pack cannot pick up this quick build),
// and `npm run typecheck` checks the sample app too.
import { copyFile, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transformFile } from '@swc/core';
import { swcOptions } from '../swc.config.js';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const options = { ...swcOptions, sourceMaps: true };

async function transpile(sourceDir, outDir) {
  const entries = await readdir(sourceDir, { withFileTypes: true });
  await mkdir(outDir, { recursive: true });
  await Promise.all(
    entries.map(async (entry) => {
      const source = join(sourceDir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'dist') await transpile(source, join(outDir, entry.name));
        return;
      }
      if (!entry.name.endsWith('.ts') || entry.name.endsWith('.d.ts')) return;
      const out = join(outDir, entry.name.replace(/\.ts$/, '.js'));
      const { code, map } = await transformFile(source, { ...options, sourceFileName: relative(outDir, source) });
      await writeFile(out, `${code}\n//# sourceMappingURL=${basename(out)}.map\n`);
      if (map) await writeFile(`${out}.map`, map);
    }),
  );
}

const out = join(root, 'sample-app', 'dist');
const pkg = join(out, 'node_modules', 'nestjs-jobs');
await rm(out, { recursive: true, force: true });
await Promise.all([transpile(join(root, 'lib'), join(pkg, 'dist')), transpile(join(root, 'sample-app'), out)]);
await copyFile(join(root, 'package.json'), join(pkg, 'package.json'));
// A package scope of its own, so 'nestjs-jobs' resolves to the copy above
// rather than to the repository's own name (and its dist/).
await writeFile(join(out, 'package.json'), '{ "type": "module", "private": true }\n');
