// Handlebars with escaping made explicit: templates are compiled with noEscape, and every value goes
// through a helper that knows its target syntax (xml, py, csv, rst). Templates hold layout only.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { pyLiteral, pyString } from './ir/python-literal.ts';
import { wrapPython } from './python-wrap.ts';
import { REPO_ROOT } from './repo-root.ts';

export const TEMPLATES_DIR = join(REPO_ROOT, 'templates');
/** The templates compiled to JavaScript by scripts/build-cli.mjs: Handlebars' compiler is most of `generate`'s start. */
const PRECOMPILED = join(REPO_ROOT, 'dist', 'templates.cjs');
const COMPILE_OPTIONS = { noEscape: true, strict: true } as const;
const require = createRequire(import.meta.url);

type Handlebars = typeof import('handlebars');
type Precompiled = Record<string, { hash: string; spec: TemplateSpecification }>;

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
  const precompiled = loadPrecompiled();
  // Precompiled templates need only Handlebars' runtime; its compiler loads for a template changed since the build.
  const runtime = precompiled ? withHelpers((require('handlebars/runtime') as { default: Handlebars }).default.create()) : undefined;
  let compiler: Handlebars | undefined;
  const cache = new Map<string, HandlebarsTemplateDelegate>();
  return (template, context) => {
    let compiled = cache.get(template);
    if (!compiled) {
      const source = readFileSync(join(TEMPLATES_DIR, template), 'utf8');
      const built = precompiled?.[template];
      if (runtime && built && built.hash === sourceHash(source)) {
        compiled = runtime.template(built.spec);
      } else {
        compiler ??= withHelpers((require('handlebars') as { default: Handlebars }).default.create());
        compiled = compiler.compile(source, COMPILE_OPTIONS);
      }
      cache.set(template, compiled);
    }
    const text = compiled(context);
    // Values are written on one line each; the addon's Python stays within flake8's line length.
    return template.endsWith('.py.hbs') ? wrapPython(text) : text;
  };
}

function withHelpers(hb: Handlebars): Handlebars {
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
  hb.registerHelper(
    'anyUses',
    (items: unknown, key: unknown, name: unknown) =>
      Array.isArray(items) && items.some((item) => new RegExp(`\\b${String(name)}\\b`).test(String(item?.[String(key)] ?? ''))),
  );
  hb.registerHelper('join', (items: unknown[], sep: unknown) =>
    Array.isArray(items) ? items.join(typeof sep === 'string' ? sep : ', ') : '',
  );
  return hb;
}

function loadPrecompiled(): Precompiled | undefined {
  // FUSION_NO_CACHE=1: everything compiled here (the golden test compares both ways).
  if (process.env.FUSION_NO_CACHE) return undefined;
  try {
    return require(PRECOMPILED) as Precompiled;
  } catch {
    return undefined;
  }
}

function sourceHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Every template precompiled, as a CommonJS module, for scripts/build-cli.mjs; each is used only while its hash matches. */
export function precompiledTemplates(): string {
  const hb = (require('handlebars') as { default: Handlebars }).default;
  const list = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? list(join(dir, e.name)) : [join(dir, e.name)]));
  const entries = list(TEMPLATES_DIR)
    .sort()
    .map((file) => {
      const source = readFileSync(file, 'utf8');
      const name = relative(TEMPLATES_DIR, file).split('\\').join('/');
      return `  ${JSON.stringify(name)}: { hash: ${JSON.stringify(sourceHash(source))}, spec: ${hb.precompile(source, COMPILE_OPTIONS)} },`;
    });
  return `// Generated by scripts/build-cli.mjs from templates/; a template is used only while its hash matches.\nmodule.exports = {\n${entries.join('\n')}\n};\n`;
}
