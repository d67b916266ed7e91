// The addon's README (README.rst and static/description/index.html, what Odoo's Apps screen shows):
// every catalog entry of the spec in its tables, a well-formed page, and the Markdown both ways.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SaxesParser } from 'saxes';
import { describe, expect, it } from 'vitest';
import { readmeEmitter, subunitsToDecimal, toCurrencyDecimals } from '../../generators/emitters/readme.ts';
import { generateFiles } from '../../generators/generate.ts';
import { markdownToHtml, markdownToRst } from '../../generators/markdown.ts';
import { createRenderer } from '../../generators/render.ts';
import { NEXA_PATH, REPO } from '../helpers.ts';

const { ir, files } = generateFiles(`${REPO}${NEXA_PATH}`);
const fileOf = (path: string) => files.find((f) => f.path === `fusion_billing/${path}`)!.content;
const page = fileOf('static/description/index.html');
const rst = fileOf('README.rst');

/** Parses the page as XML (saxes refuses anything not well-formed) and returns each table with an id as rows of cell texts. */
function tablesOf(xhtml: string): Map<string, string[][]> {
  const parser = new SaxesParser();
  const tables = new Map<string, string[][]>();
  let table: string[][] | null = null;
  let cell: string[] | null = null;
  parser.on('opentag', (tag) => {
    if (tag.name === 'table' && typeof tag.attributes.id === 'string') {
      table = [];
      tables.set(tag.attributes.id, table);
    } else if (tag.name === 'tr' && table) table.push([]);
    else if (tag.name === 'td' && table) cell = [];
  });
  parser.on('text', (text) => cell?.push(text));
  parser.on('closetag', (tag) => {
    if (tag.name === 'td' && table && cell) {
      table.at(-1)!.push(cell.join(''));
      cell = null;
    } else if (tag.name === 'table') table = null;
  });
  parser.write(xhtml).close();
  for (const rows of tables.values()) rows.shift(); // the header row has <th> cells only
  return tables;
}

describe('the addon README', () => {
  const tables = tablesOf(page);
  const column = (id: string, index: number) => tables.get(id)!.map((row) => row[index]);
  const serviceCode = new Map(ir.catalog.services.map((s) => [s.xmlid, s.code]));

  it('is a well-formed page with a table per catalog kind', () => {
    expect([...tables.keys()]).toEqual([
      'fusion-billing-services',
      'fusion-billing-metrics',
      'fusion-billing-plans',
      'fusion-billing-webhook-endpoints',
      'fusion-billing-routes',
    ]);
    expect(() => tablesOf(page.replace('</tbody>', ''))).toThrow(/closing tag|mismatch|unexpected/i);
  });

  it('lists every service of the spec with its currency and customer identity', () => {
    expect(column('fusion-billing-services', 0)).toEqual(ir.catalog.services.map((s) => s.code));
    expect(column('fusion-billing-services', 3)).toEqual(ir.catalog.services.map((s) => s.currency));
    for (const [index, service] of ir.catalog.services.entries()) {
      const identity = tables.get('fusion-billing-services')![index]![4]!;
      expect(identity, service.code).toContain(service.accountIdLabel ?? 'account id');
      if (service.accountIdPattern) expect(identity, service.code).toContain(service.accountIdPattern);
    }
  });

  it('lists every billable metric with its service and aggregation', () => {
    expect(tables.get('fusion-billing-metrics')!.map((row) => row.slice(0, 4))).toEqual(
      ir.catalog.metrics.map((m) => [m.code, m.name, serviceCode.get(m.serviceXmlid), m.aggregation]),
    );
  });

  it('lists every plan with its interval and its base fee as a decimal string in the currency', () => {
    expect(tables.get('fusion-billing-plans')!.map((row) => [row[0], row[2], row[3], row[4]])).toEqual(
      ir.catalog.plans.map((p) => [
        p.code,
        serviceCode.get(p.serviceXmlid),
        p.interval,
        `${toCurrencyDecimals(p.amount, p.currencyExponent)} ${p.currency}`,
      ]),
    );
    // Every currency of nexa.yaml has two decimals: "0" is shown as 0.00, never as a float's 0.
    expect(column('fusion-billing-plans', 4).every((fee) => /^\d+\.\d{2} [A-Z]{3}$/.test(fee!))).toBe(true);
    for (const [index, plan] of ir.catalog.plans.entries()) {
      for (const charge of plan.charges) expect(tables.get('fusion-billing-plans')![index]![5], plan.code).toContain(charge.metricCode);
    }
  });

  it('lists every webhook endpoint with its event types, and every API route', () => {
    const endpoints = ir.catalog.services.flatMap((s) =>
      s.webhooks.map((w) => [s.code, w.code, w.url, w.signatureAlgorithm, w.eventTypes ? w.eventTypes.join(', ') : 'all']),
    );
    expect(tables.get('fusion-billing-webhook-endpoints')).toEqual(endpoints);
    expect(column('fusion-billing-routes', 0)).toEqual(ir.module.api.routes.map((r) => r.method));
    expect(column('fusion-billing-routes', 1)).toEqual(ir.module.api.routes.map((r) => r.path.replace(':path}', '}')));
  });

  it('says the same in README.rst, with the fragments and the tables', () => {
    for (const code of [
      ...ir.catalog.services.map((s) => s.code),
      ...ir.catalog.metrics.map((m) => m.code),
      ...ir.catalog.plans.map((p) => p.code),
    ]) {
      expect(rst, code).toContain(`   * - \`\`${code}\`\``);
    }
    for (const title of [
      'Configuration\n=============',
      'Usage\n=====',
      'The API\n=======',
      'Webhooks\n========',
      'Replay protection\n-----------------',
      'Contributors\n------------',
    ]) {
      expect(rst).toContain(title);
      const [heading] = title.split('\n');
      expect(page).toMatch(new RegExp(`<h[23]>${heading}</h[23]>`));
    }
  });

  it('gets the tables alone for a module without a readme folder, and names a missing fragment', () => {
    const ctx = { ir, render: createRenderer(), header: 'Generated by fusion-billing from test.', staticModules: [] };
    const bare = readmeEmitter(join(tmpdir(), 'no-such-readme-folder'), 'python/x/readme')(ctx);
    expect(bare.map((f) => f.path)).toEqual(['fusion_billing/README.rst', 'fusion_billing/static/description/index.html']);
    expect(bare[1]!.content).toContain('<code>nexacloud</code>');

    const dir = mkdtempSync(join(tmpdir(), 'fb-readme-'));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'DESCRIPTION.md'), 'Only a description.\n');
    expect(() => readmeEmitter(dir, 'python/x/readme')(ctx)).toThrow(/python\/x\/readme\/CONFIGURE\.md.*python\/x\/readme\/USAGE\.md/);
  });
});

describe('Markdown fragments', () => {
  const headings = { htmlOffset: 2, rstAdornments: '-~^' };

  it('become RST whose inline markup holds next to words and whose nested lists are set apart', () => {
    expect(markdownToRst('A `code`s and **bold**, *em*(x) [link](https://x.test/a_b).', headings)).toBe(
      'A ``code``\\ s and **bold**, *em*\\ (x) `link <https://x.test/a_b>`__.',
    );
    expect(markdownToRst('snake_case *a* | b\nwrapped', headings)).toBe('snake\\_case *a* \\| b wrapped');
    expect(markdownToRst('- one\n  - inner\n- two\n', headings)).toBe('- one\n\n  - inner\n\n- two');
    expect(markdownToRst('# Title\n\n1. first\n2. second\n\n```\ncode\n```\n', headings)).toBe(
      'Title\n-----\n\n1. first\n2. second\n\n::\n\n    code',
    );
  });

  it('become HTML one heading level below their section, with void elements written as XML', () => {
    expect(markdownToHtml('# Title\n\nA & B\n\n---\n', headings)).toBe('<h3>Title</h3>\n<p>A &amp; B</p>\n<hr />');
  });

  it('refuse what one of the two sides cannot show', () => {
    expect(() => markdownToHtml('<div>raw</div>\n', headings)).toThrow(/raw HTML/);
    expect(() => markdownToRst('> quoted\n', headings)).toThrow(/blockquote/);
    expect(() => markdownToRst('**a *b* c**\n', headings)).toThrow(/nest/);
    expect(() => markdownToRst('#### Too deep\n', headings)).toThrow(/levels/);
  });
});

describe('money in the README', () => {
  it('pads a decimal string to the currency decimals without rounding, and reads subunits without a float', () => {
    expect([
      toCurrencyDecimals('0', 2),
      toCurrencyDecimals('99.5', 2),
      toCurrencyDecimals('0.0004', 2),
      toCurrencyDecimals('1500', 0),
    ]).toEqual(['0.00', '99.50', '0.0004', '1500']);
    expect([subunitsToDecimal(15000, 2), subunitsToDecimal(5, 2), subunitsToDecimal(0, 3), subunitsToDecimal(1500, 0)]).toEqual([
      '150.00',
      '0.05',
      '0.000',
      '1500',
    ]);
  });
});
