// Generated Python lines are wrapped to flake8's line length without changing what they mean.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PY_MAX_LINE, wrapPython } from '../../generators/python-wrap.ts';

/** The value Python reads from `source` (an assignment to x), as JSON. */
function evaluated(source: string): unknown {
  return JSON.parse(execFileSync('python3', ['-c', `${source}\nimport json; print(json.dumps(x))`], { encoding: 'utf8' }));
}

describe('wrapPython', () => {
  const items = Array.from({ length: 30 }, (_, i) => `'item_${i}'`);
  const long = `    x = {'codes': [${items.join(', ')}], 'help': ${`'${'word '.repeat(60).trim()}'`}}`;

  it('leaves lines that fit as they are', () => {
    expect(wrapPython('x = [1, 2]\n')).toBe('x = [1, 2]\n');
  });

  it('wraps a long line within the limit, one item a line, to the same value', () => {
    const wrapped = wrapPython(long.trimStart());
    expect(wrapped.split('\n').every((line) => line.length <= PY_MAX_LINE)).toBe(true);
    expect(wrapped.split('\n')[1]).toBe("    'codes': [");
    expect(evaluated(wrapped)).toEqual(evaluated(long.trimStart().replace(/^ +/, '')));
  });

  it('cuts a long string at spaces into pieces Python joins again', () => {
    const line = `x = '${'abc '.repeat(70).trim()}'`;
    const wrapped = wrapPython(line);
    expect(wrapped.split('\n').length).toBeGreaterThan(2);
    expect(evaluated(wrapped)).toBe(evaluated(line));
  });

  it('leaves comments and triple-quoted strings whole', () => {
    const text = `# ${'c'.repeat(200)}\nx = """\n${"'a', ".repeat(50)}\n"""\n`;
    expect(wrapPython(text)).toBe(text);
  });
});
