// The generated addon parses as Python/XML/CSV (and, with an Odoo tree, its views pass Odoo's RelaxNG).
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers.ts';

function checkAddon(dir: string) {
  // Debian's python3 has lxml for the RelaxNG check; any python3 does the rest.
  const python = spawnSync('/usr/bin/python3', ['-c', 'import lxml'], { encoding: 'utf8' }).status === 0 ? '/usr/bin/python3' : 'python3';
  return spawnSync(python, [join(REPO, 'scripts/check_addon.py'), dir], { encoding: 'utf8' });
}

describe('static checks of out/fusion_billing', () => {
  it('finds no problem in the committed addon', () => {
    const result = checkAddon(join(REPO, 'out/fusion_billing'));
    expect(result.stdout).toMatch(/0 problem\(s\)/);
    expect(result.status).toBe(0);
    const [, py, xml] = /: (\d+) Python, (\d+) XML/.exec(result.stdout)!;
    expect(Number(py)).toBeGreaterThan(10);
    expect(Number(xml)).toBeGreaterThan(10);
  });

  it('catches a syntax error, malformed XML and a ragged CSV', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fb-static-'));
    cpSync(join(REPO, 'out/fusion_billing'), dir, { recursive: true });
    writeFileSync(join(dir, 'models/broken.py'), 'def f(:\n');
    writeFileSync(join(dir, 'views/broken.xml'), '<odoo><record></odoo>');
    writeFileSync(join(dir, 'security/ir.model.access.csv'), 'id,name\na,b,c\n');
    writeFileSync(join(dir, 'static/description/index.html'), '<html><body><p>unclosed</body></html>');
    writeFileSync(join(dir, 'README.rst'), 'Title\n=====\n\n- a list\nwithout its blank line\n');
    const result = checkAddon(dir);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/broken\.py/);
    expect(result.stdout).toMatch(/broken\.xml/);
    expect(result.stdout).toMatch(/ir\.model\.access\.csv:2: 3 cells, header has 2/);
    expect(result.stdout).toMatch(/index\.html: mismatched tag/);
    // With Debian's docutils (what Odoo renders README.rst with): a warning is a problem.
    if (spawnSync('/usr/bin/python3', ['-c', 'import docutils']).status === 0)
      expect(result.stdout).toMatch(/README\.rst:.*WARNING.*Bullet list ends without a blank line/);
  });
});
