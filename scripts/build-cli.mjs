#!/usr/bin/env node
// Compiles the CLI (generators/cli.ts and everything it imports, dynamic imports included) into
// dist/ with tsc (no type checking: `npm run typecheck` does that), the spec schema's validator
// into dist/spec-schema.cjs and the templates into dist/templates.cjs; then records which sources
// went in, so that bin/fusion-billing.mjs can tell when dist/ is older than them.
// Run by `npm ci` / `npm install` (prepare), `npm run build` and `npm test`.
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

rmSync(dist, { recursive: true, force: true });
const started = Date.now();
const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
if (result.status !== 0) {
  process.stderr.write('build-cli: tsc failed; dist/ is not usable\n');
  process.exit(result.status ?? 1);
}

// The spec schema's validator, compiled to JavaScript once here rather than at each start.
const { standaloneValidator } = await import(pathToFileURL(join(dist, 'generators/spec/schema.js')).href);
writeFileSync(join(dist, 'spec-schema.cjs'), standaloneValidator());
// And the Handlebars templates, so that generate needs only Handlebars' runtime.
const { precompiledTemplates } = await import(pathToFileURL(join(dist, 'generators/render.js')).href);
writeFileSync(join(dist, 'templates.cjs'), precompiledTemplates());

const list = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? list(join(dir, e.name)) : [join(dir, e.name)]));
const sources = list(dist)
  .filter((file) => file.endsWith('.js'))
  .map((file) => relative(dist, file).replace(/\.js$/, '.ts'))
  .sort();
// Written last: a build cut short leaves no manifest, and the bin then says dist/ is missing.
writeFileSync(join(dist, 'manifest.json'), `${JSON.stringify({ builtAt: started, sources }, null, 2)}\n`);
process.stdout.write(`build-cli: dist/ from ${sources.length} sources in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
