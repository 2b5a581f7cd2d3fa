// Transpiles the sample app to sample-app/dist with swc, in well under a second,
// so that `npm start` shows the demo quickly. Type-checking is `npm run typecheck`'s
// job (the root tsconfig includes sample-app); `nest start` compiles with tsc.
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transformFile } from '@swc/core';

const here = dirname(fileURLToPath(import.meta.url));
const outDir = join(here, 'dist');
const options = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    target: 'es2022',
  },
  module: { type: 'es6' },
  sourceMaps: true,
};

await mkdir(outDir, { recursive: true });
const sources = (await readdir(here)).filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts'));
await Promise.all(
  sources.map(async (name) => {
    const out = join(outDir, name.replace(/\.ts$/, '.js'));
    const { code, map } = await transformFile(join(here, name), { ...options, outputPath: out, sourceFileName: `../${name}` });
    await writeFile(out, `${code}\n//# sourceMappingURL=${name.replace(/\.ts$/, '.js')}.map\n`);
    if (map) await writeFile(`${out}.map`, map);
  }),
);
