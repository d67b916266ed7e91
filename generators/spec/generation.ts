// What the generator needs from a spec beyond its meaning: comodels it can name, records the generated
// tests can build, file and identifier names that do not collide, values it can write as literals.
// Everything `ir/build.ts` and the emitters would otherwise fail on is reported here, located.
import type { SpecPath } from './diagnostics.ts';
import { ODOO_MODELS, TEST_FACTORIES } from './odoo-models.ts';
import type { FieldSpec, Spec } from './types.ts';

type Report = (path: SpecPath, message: string, onKey?: boolean) => void;

export interface GenerationFacts {
  /** Python modules copied from python/<module>/models (e.g. `sale_order_usage`), when known. */
  staticModelModules?: Set<string>;
  /** Names the client runtime (client/runtime/*.ts) exports, when known. */
  clientRuntimeNames?: Set<string>;
}

// Words a TypeScript identifier cannot be (the client names functions and constants after codes).
const RESERVED = new Set(
  (
    'break case catch class const continue debugger default delete do else enum export extends false finally for function if ' +
    'import in instanceof new null return super switch this throw true try typeof var void while with implements interface let ' +
    'package private protected public static yield await arguments eval'
  ).split(' '),
);

export function checkGeneration(
  spec: Spec,
  report: Report,
  suggest: (value: string, candidates: Iterable<string>) => string,
  facts?: GenerationFacts,
): void {
  checkComodels(spec, report, suggest);
  checkFactoryCycles(spec, report);
  checkLiterals(spec, report);
  checkFileNames(spec, report, facts?.staticModelModules);
  checkClientNames(spec, report, facts?.clientRuntimeNames);
}

function modulePrefix(spec: Spec): string {
  return `${spec.module.technical_name.replace(/_/g, '.')}.`;
}

/** Fields whose value the generated factory sets: required ones, ones with a sample and unique columns. */
function factorySets(field: FieldSpec, uniqueColumns: Set<string>): boolean {
  return (
    field.name !== 'company_id' &&
    field.type !== 'one2many' &&
    (field.required === true || field.sample !== undefined || uniqueColumns.has(field.name))
  );
}

function owners(spec: Spec) {
  return [
    ...spec.module.models.map((m, i) => ({
      model: m.name,
      fields: m.fields,
      constraints: m.constraints ?? [],
      at: ['module', 'models', i] as SpecPath,
    })),
    ...(spec.module.extensions ?? []).map((x, i) => ({
      model: x.model,
      fields: x.fields,
      constraints: x.constraints ?? [],
      at: ['module', 'extensions', i] as SpecPath,
    })),
  ];
}

/** A comodel is one of the module's models or a known Odoo model; a factory must be able to build it. */
function checkComodels(spec: Spec, report: Report, suggest: (value: string, candidates: Iterable<string>) => string): void {
  const prefix = modulePrefix(spec);
  const own = new Set(spec.module.models.map((m) => m.name));
  const factories = Object.keys(TEST_FACTORIES);
  for (const owner of owners(spec)) {
    const uniqueColumns = new Set(owner.constraints.flatMap((c) => c.unique ?? []));
    owner.fields.forEach((field, f) => {
      const comodel = field.comodel;
      if (!comodel || (field.type !== 'many2one' && field.type !== 'one2many')) return;
      const at: SpecPath = [...owner.at, 'fields', f, 'comodel'];
      // Unknown models of the module's own namespace are reported by the semantic checks ('fusion.' ones) or here.
      if (comodel.startsWith(prefix) || comodel.startsWith('fusion.')) {
        if (!own.has(comodel) && !comodel.startsWith('fusion.')) report(at, `unknown model '${comodel}'${suggest(comodel, own)}`);
        return;
      }
      if (!ODOO_MODELS.includes(comodel)) {
        report(
          at,
          `unknown Odoo model '${comodel}'${suggest(comodel, ODOO_MODELS)}: no model of base or of the modules the addon depends on (${spec.module.depends.join(', ')}) has this name`,
        );
        return;
      }
      if (field.type === 'many2one' && factorySets(field, uniqueColumns) && field.sample === undefined && !TEST_FACTORIES[comodel]) {
        report(
          at,
          `the generated tests cannot build a ${comodel} record for ${field.required ? 'required ' : ''}many2one '${field.name}' of ${owner.model} ` +
            `(they build ${factories.join(', ')} and the module's own models); give the field a 'sample' (a record id)`,
        );
      }
    });
  }
}

/** make_a building a b whose make_b builds an a would never return: refuse required links in a circle. */
function checkFactoryCycles(spec: Spec, report: Report): void {
  const edges = new Map<string, { to: string; at: SpecPath; field: string }[]>();
  spec.module.models.forEach((model, m) => {
    const uniqueColumns = new Set((model.constraints ?? []).flatMap((c) => c.unique ?? []));
    const out = model.fields.flatMap((field, f) =>
      field.type === 'many2one' && field.comodel && field.sample === undefined && factorySets(field, uniqueColumns)
        ? [{ to: field.comodel, at: ['module', 'models', m, 'fields', f, 'comodel'] as SpecPath, field: field.name }]
        : [],
    );
    edges.set(model.name, out);
  });
  const state = new Map<string, 'open' | 'done'>();
  const visit = (model: string, stack: string[]): void => {
    state.set(model, 'open');
    for (const edge of edges.get(model) ?? []) {
      if (!edges.has(edge.to)) continue;
      if (state.get(edge.to) === 'open') {
        const circle = [...stack.slice(stack.indexOf(edge.to)), edge.to];
        report(
          edge.at,
          `the generated test factories would build records in a circle (${circle.join(' -> ')}); give '${edge.field}' a 'sample' or make it optional`,
        );
      } else if (state.get(edge.to) !== 'done') visit(edge.to, [...stack, edge.to]);
    }
    state.set(model, 'done');
  };
  for (const model of edges.keys()) if (!state.has(model)) visit(model, [model]);
}

/** Every value may end up a Python or JSON literal (defaults, samples, properties, examples): numbers must be finite. */
function checkLiterals(spec: Spec, report: Report): void {
  const walk = (value: unknown, path: SpecPath): void => {
    if (typeof value === 'number' && !Number.isFinite(value)) {
      report(path, `${String(path[path.length - 1] ?? 'value')}: ${value} is not a finite number (it has no Python or JSON literal)`);
    } else if (Array.isArray(value)) value.forEach((item, i) => walk(item, [...path, i]));
    else if (value && typeof value === 'object') for (const [key, item] of Object.entries(value)) walk(item, [...path, key]);
  };
  walk(spec, []);
}

/** One Python file per model and extension: none may take the name of a hand-written module copied beside them. */
function checkFileNames(spec: Spec, report: Report, staticModules: Set<string> | undefined): void {
  if (!staticModules) return;
  for (const owner of owners(spec)) {
    const file = owner.model.replace(/\./g, '_');
    if (staticModules.has(file)) {
      report(
        [...owner.at, owner.at[1] === 'models' ? 'name' : 'model'],
        `${owner.model} would be generated as models/${file}.py, the name of a hand-written module of python/${spec.module.technical_name}/models`,
      );
    }
  }
}

/**
 * The client names one function per metric and one constant per service after their codes, and types
 * after both; the package's index re-exports them all beside the runtime. Each name must be free.
 */
function checkClientNames(spec: Spec, report: Report, runtimeNames: Set<string> | undefined): void {
  const pascal = (code: string) =>
    code
      .split('_')
      .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
      .join('');
  const camel = (code: string) => pascal(code).charAt(0).toLowerCase() + pascal(code).slice(1);
  const taken = new Map<string, string>();
  for (const name of runtimeNames ?? []) taken.set(name, 'a name of the client runtime');
  const refused = new Set<string>();
  const claim = (name: string, what: string, path: SpecPath) => {
    // One problem per code: its other names collide the same way.
    if (refused.has(what)) return;
    if (RESERVED.has(name)) {
      refused.add(what);
      report(path, `${what} would be named '${name}' in the generated client, a reserved word of TypeScript; choose another code`);
      return;
    }
    const holder = taken.get(name);
    if (holder !== undefined) {
      refused.add(what);
      report(path, `${what} would be named '${name}' in the generated client, which is already ${holder}; choose another code`);
    } else taken.set(name, `the name of ${what}`);
  };
  spec.catalog.services.forEach((service, s) => {
    const at: SpecPath = ['catalog', 'services', s, 'code'];
    claim(camel(service.code), `service '${service.code}'`, at);
    for (const suffix of ['MetricCode', 'PlanCode', 'Event']) claim(`${pascal(service.code)}${suffix}`, `service '${service.code}'`, at);
  });
  spec.catalog.metrics.forEach((metric, m) => {
    const at: SpecPath = ['catalog', 'metrics', m, 'code'];
    claim(camel(metric.code), `metric '${metric.code}'`, at);
    claim(`${pascal(metric.code)}Properties`, `metric '${metric.code}'`, at);
  });
}
