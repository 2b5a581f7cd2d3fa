// `npm start`'s build: transpiles the package (lib/ -> dist/) and the sample app
// (-> sample-app/dist/) with swc, in about a second, so the demo shows within
// seconds of the command. Only JavaScript: `npm run build` is the full tsc build
// with type declarations, and `npm run typecheck` checks the sample app too.
import { mkdir, readdir, writeFile } from 'node:fs/promises';
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

await Promise.all([transpile(join(root, 'lib'), join(root, 'dist')), transpile(join(root, 'sample-app'), join(root, 'sample-app', 'dist'))]);
