// Handlebars with escaping made explicit: templates are compiled with noEscape, and every value goes
// through a helper that knows its target syntax (xml, py, csv). Templates hold layout only.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { pyLiteral, pyString } from './ir/python-literal.ts';
import { REPO_ROOT } from './repo-root.ts';

export const TEMPLATES_DIR = join(REPO_ROOT, 'templates');

export type Renderer = (template: string, context: object) => string;

export function xmlEscape(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

export function csvCell(value: unknown): string {
  const text = String(value ?? '');
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function createRenderer(): Renderer {
  const hb = Handlebars.create();
  hb.registerHelper('xml', (value: unknown) => xmlEscape(value));
  hb.registerHelper('py', (value: unknown) => pyLiteral(value));
  hb.registerHelper('pystr', (value: unknown) => pyString(String(value ?? '')));
  /** A Python literal inside an XML attribute (eval="..."). */
  hb.registerHelper('xmlpy', (value: unknown) => xmlEscape(pyLiteral(value)));
  hb.registerHelper('csv', (value: unknown) => csvCell(value));
  hb.registerHelper('bit', (value: unknown) => (value ? '1' : '0'));
  hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  hb.registerHelper('join', (items: unknown[], sep: unknown) => (Array.isArray(items) ? items.join(typeof sep === 'string' ? sep : ', ') : ''));
  const cache = new Map<string, HandlebarsTemplateDelegate>();
  return (template, context) => {
    let compiled = cache.get(template);
    if (!compiled) {
      const source = readFileSync(join(TEMPLATES_DIR, template), 'utf8');
      compiled = hb.compile(source, { noEscape: true, strict: true });
      cache.set(template, compiled);
    }
    return compiled(context);
  };
}
