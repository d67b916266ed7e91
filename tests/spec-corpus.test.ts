// The spec corpus (tests/specs): every valid spec generates, through the CLI's own path, an addon whose
// Python compiles and whose XML is well-formed; every invalid one is refused with exactly the located
// problems written beside it (<name>.errors), never with a crash.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { generateFiles, implementationFacts, writeOutput } from '../generators/generate.ts';
import { formatDiagnostic, SpecError, validateSpecText } from '../generators/spec/index.ts';
import { REPO } from './helpers.ts';

// Child processes run asynchronously: a worker blocked for long loses vitest's RPC (onTaskUpdate timeout).
const run = promisify(execFile);
const CORPUS = 'tests/specs';
const specsIn = (dir: string) =>
  readdirSync(join(REPO, CORPUS, dir))
    .filter((f) => f.endsWith('.yaml'))
    .sort();
const valid = specsIn('valid');
const invalid = specsIn('invalid');
const temp = mkdtempSync(join(tmpdir(), 'fusion-corpus-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

/** Compiles every .py and parses every .xml under `root` in one Python process; prints one line per failure. */
const PY_CHECK = `
import os, sys, tempfile, py_compile, xml.etree.ElementTree as ET
bad = []
cfile = os.path.join(tempfile.mkdtemp(), 'check.pyc')
for d, _, files in os.walk(sys.argv[1]):
    for f in files:
        p = os.path.join(d, f)
        try:
            if f.endswith('.py'):
                py_compile.compile(p, cfile=cfile, doraise=True)
            elif f.endswith('.xml'):
                ET.parse(p)
        except Exception as e:
            bad.append(f'{os.path.relpath(p, sys.argv[1])}: {e}')
print('\\n'.join(bad))
`;

describe('the spec corpus', () => {
  it('holds valid specs and one invalid spec per error class', () => {
    expect(valid).toContain('minimal.yaml');
    expect(valid.length).toBeGreaterThanOrEqual(5);
    expect(invalid.length).toBeGreaterThanOrEqual(8);
  });

  for (const name of valid) {
    it(`generates ${name} into an addon whose Python compiles and whose XML parses`, async () => {
      const spec = `${CORPUS}/valid/${name}`;
      const out = join(temp, name.replace(/\.yaml$/, ''));
      // As `fusion-billing generate --out <dir>` does.
      const { ir, files } = generateFiles(join(REPO, spec));
      const { written } = writeOutput(out, ir.module.technicalName, files);
      expect(written, 'every file is written to an empty directory').toBe(files.length);
      const python = files.filter((f) => f.path.endsWith('.py')).length;
      const xml = files.filter((f) => f.path.endsWith('.xml')).length;
      expect(python, 'the addon has Python').toBeGreaterThan(10);
      expect(xml, 'the addon has XML data').toBeGreaterThan(3);
      const failures = (await run('python3', ['-c', PY_CHECK, out], { encoding: 'utf8' })).stdout.trim();
      expect(failures, `${spec}: generated files that do not compile or parse`).toBe('');
    }, 60_000);
  }

  it('generates for the minimal spec a client that passes tsc --strict', async () => {
    const out = join(temp, 'minimal');
    const { files } = generateFiles(join(REPO, CORPUS, 'valid/minimal.yaml'));
    writeOutput(out, 'fusion_billing', files);
    const tsc = join(REPO, 'node_modules/typescript/bin/tsc');
    const args = [tsc, '-p', join(out, 'client/tsconfig.json'), '--strict', '--noEmit', '--typeRoots', join(REPO, 'node_modules/@types')];
    let output = '';
    try {
      await run(process.execPath, args, { encoding: 'utf8' });
    } catch (err) {
      output = `${(err as { stdout?: string }).stdout ?? ''}${(err as { stderr?: string }).stderr ?? ''}` || String(err);
    }
    expect(output, 'tsc --strict --noEmit on the generated client').toBe('');
  }, 60_000);

  for (const name of invalid) {
    it(`refuses ${name} with the located problems of ${name.replace(/\.yaml$/, '.errors')}`, () => {
      const spec = `${CORPUS}/invalid/${name}`;
      const expected = readFileSync(join(REPO, CORPUS, 'invalid', name.replace(/\.yaml$/, '.errors')), 'utf8')
        .trim()
        .split('\n');
      let refusal: unknown;
      try {
        validateSpecText(spec, readFileSync(join(REPO, spec), 'utf8'), implementationFacts());
      } catch (err) {
        refusal = err;
      }
      expect(refusal, `${spec} must be refused with a SpecError, not accepted or crashed on`).toBeInstanceOf(SpecError);
      const found = (refusal as SpecError).diagnostics.map(formatDiagnostic);
      expect(found).toEqual(expected);
      // The generator refuses it the same way, before building anything.
      expect(() => generateFiles(join(REPO, spec))).toThrow(SpecError);
    });
  }
});
