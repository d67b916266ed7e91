// Handlebars with escaping made explicit: templates are compiled with noEscape, and every value goes
// through a helper that knows its target syntax (xml, py, csv, rst). Templates hold layout only.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { pyLiteral, pyString } from './ir/python-literal.ts';
import { wrapPython } from './python-wrap.ts';

export const TEMPLATES_DIR = fileURLToPath(new URL('../templates/', import.meta.url));

export type Renderer = (template: string, context: object) => string;

export function xmlEscape(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

/** Text inside reStructuredText: inline markup characters escaped, on one line. */
export function rstText(value: unknown): string {
  return String(value ?? '')
    .replace(/\s*\n\s*/g, ' ')
    .replace(/[\\*`|_<>[\]]/g, (c) => `\\${c}`);
}

/** An inline literal (``code``); RST cannot escape inside one, so text holding `` falls back to plain text. */
export function rstLiteral(value: unknown): string {
  const text = String(value ?? '');
  return text && !text.includes('``') && !/^\s|\s$/.test(text) ? `\`\`${text}\`\`` : rstText(text);
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
  hb.registerHelper('rst', (value: unknown) => rstText(value));
  hb.registerHelper('rstlit', (value: unknown) => rstLiteral(value));
  /** An RST title's over- or underline: the character repeated to the title's length. */
  hb.registerHelper('underline', (title: unknown, char: unknown) => String(char).repeat(String(title ?? '').length));
  hb.registerHelper('bit', (value: unknown) => (value ? '1' : '0'));
  hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  /** Whether the Python source in `key` of any of `items` uses the variable `name` (no unused variables). */
  hb.registerHelper('anyUses', (items: unknown, key: unknown, name: unknown) =>
    Array.isArray(items) && items.some((item) => new RegExp(`\\b${String(name)}\\b`).test(String(item?.[String(key)] ?? ''))));
  hb.registerHelper('join', (items: unknown[], sep: unknown) => (Array.isArray(items) ? items.join(typeof sep === 'string' ? sep : ', ') : ''));
  const cache = new Map<string, HandlebarsTemplateDelegate>();
  return (template, context) => {
    let compiled = cache.get(template);
    if (!compiled) {
      const source = readFileSync(`${TEMPLATES_DIR}${template}`, 'utf8');
      compiled = hb.compile(source, { noEscape: true, strict: true });
      cache.set(template, compiled);
    }
    const text = compiled(context);
    // Values are written on one line each; the addon's Python stays within flake8's line length.
    return template.endsWith('.py.hbs') ? wrapPython(text) : text;
  };
}
