// CI: checks the packed tarball (extracted to the directory given) is what we
// mean to publish: built by tsc from the current lib/ (a declaration for every
// module, nothing stale, no swc-only build), no source map pointing at a file
// that does not ship, and every relative link of the README resolvable inside
// the package. Prints each problem and exits 1 if there is any.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = process.argv[2];
if (!pkg) throw new Error('usage: node .ci/check-package.mjs <extracted package dir>');

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? walk(path) : [path];
  });
}

const shipped = new Set(walk(pkg).map((file) => relative(pkg, file).split('\\').join('/')));
const problems = [];

for (const required of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md']) {
  if (!shipped.has(required)) problems.push(`${required} is missing`);
}

const sources = walk(join(root, 'lib'))
  .map((file) => relative(join(root, 'lib'), file).split('\\').join('/'))
  .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
  .map((file) => file.replace(/\.ts$/, ''));
for (const module of sources) {
  for (const ext of ['.js', '.d.ts']) {
    if (!shipped.has(`dist/${module}${ext}`)) problems.push(`dist/${module}${ext} is missing (lib/${module}.ts)`);
  }
}
const modules = new Set(sources);
for (const file of shipped) {
  const module = file.match(/^dist\/(.*?)(\.d)?\.js$|^dist\/(.*?)\.d\.ts$/);
  const name = module && (module[1] ?? module[3]);
  if (name && !modules.has(name)) problems.push(`${file} has no source in lib/ (a stale build?)`);
  if (file.endsWith('.tsbuildinfo')) problems.push(`${file} should not ship`);
  if (file.endsWith('.map')) {
    for (const source of JSON.parse(readFileSync(join(pkg, file), 'utf8')).sources ?? []) {
      const target = posix.normalize(posix.join(posix.dirname(file), source));
      if (!shipped.has(target)) problems.push(`${file} maps to ${target}, which does not ship`);
    }
  }
}

const readme = readFileSync(join(pkg, 'README.md'), 'utf8');
for (const [, link] of readme.matchAll(/\]\(([^)\s]+)\)/g)) {
  if (/^[a-z]+:|^#/i.test(link)) continue;
  const target = posix.normalize(link.split('#')[0]).replace(/\/$/, '');
  const found = shipped.has(target) || [...shipped].some((file) => file.startsWith(`${target}/`));
  if (!found || !existsSync(join(pkg, target))) problems.push(`README links to ${link}, which does not ship`);
}

if (problems.length > 0) {
  console.error(`The package is not ready to publish:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`package: ${shipped.size} files, built from lib/, no dangling maps or README links`);
