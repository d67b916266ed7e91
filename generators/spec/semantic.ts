// Checks the schema cannot express: references, duplicates, tier boundaries, currencies and the
// combinations Lago refuses. Each problem is located at the node that causes it.
import { CORE_CONTRACT, EXTENDABLE_MODELS } from './core-contract.ts';
import { currencyExponent } from './currencies.ts';
import { checkGeneration, type GenerationFacts } from './generation.ts';
import type { Diagnostic, SourceLocator, SpecPath } from './diagnostics.ts';
import type { ChargeSpec, ConstraintSpec, FieldSpec, MetricSpec, ModelSpec, PlanSpec, Spec, TierSpec } from './types.ts';
import { WEBHOOK_TYPES } from './webhook-types.ts';

type Report = (path: SpecPath, message: string, onKey?: boolean) => void;

export interface ImplementationFacts extends GenerationFacts {
  /** Functions defined in the hand-written handlers module, when it is known. */
  handlers?: Set<string>;
  handlersFile: string;
  /** Methods defined in the hand-written models, when known (form buttons call them). */
  modelMethods?: Set<string>;
  modelsDir?: string;
}

export function checkSemantics(spec: Spec, locate: SourceLocator, facts?: ImplementationFacts): Diagnostic[] {
  const out: Diagnostic[] = [];
  const report: Report = (path, message, onKey) => out.push(locate.at(path, message, onKey));
  checkCatalog(spec, report);
  checkModule(spec, report);
  checkApi(spec, facts?.handlers, facts?.handlersFile ?? 'the handlers module', report);
  const needMethod = (method: string, path: SpecPath, what: string) => {
    if (facts?.modelMethods && !facts.modelMethods.has(method)) report(path, `${what}: no method '${method}' in ${facts.modelsDir}`);
  };
  spec.module.models.forEach((model, m) => {
    for (const kind of ['form_buttons', 'list_buttons'] as const) {
      (model.views?.[kind] ?? []).forEach((button, b) =>
        needMethod(button.method, ['module', 'models', m, 'views', kind, b, 'method'], `button '${button.label}'`),
      );
    }
  });
  (spec.module.extensions ?? []).forEach((ext, e) => {
    (ext.form?.buttons ?? []).forEach((button, b) =>
      needMethod(button.method, ['module', 'extensions', e, 'form', 'buttons', b, 'method'], `button '${button.label}'`),
    );
    const declared = new Set(ext.fields.map((f) => f.name));
    (ext.form?.page?.fields ?? []).forEach((name, k) => {
      if (!declared.has(name))
        report(['module', 'extensions', e, 'form', 'page', 'fields', k], `unknown field '${name}'${suggest(name, declared)}`);
    });
  });
  const modelNames = new Set([...spec.module.models.map((m) => m.name), ...(spec.module.extensions ?? []).map((x) => x.model)]);
  checkUnique(spec.module.crons ?? [], (c) => c.id, ['module', 'crons'], 'id', 'cron id', report);
  (spec.module.crons ?? []).forEach((cron, c) => {
    if (!modelNames.has(cron.model))
      report(['module', 'crons', c, 'model'], `cron '${cron.id}': model ${cron.model} is neither defined nor extended by the spec`);
    needMethod(cron.method, ['module', 'crons', c, 'method'], `cron '${cron.id}'`);
  });
  checkGeneration(spec, report, suggest, facts);
  return out.sort((a, b) => a.line - b.line || a.column - b.column);
}

/** Reports every repeated value of `key` among `items`, at the repeat. */
function checkUnique<T>(items: T[], key: (item: T) => string, base: SpecPath, field: string, what: string, report: Report): void {
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const value = key(item);
    const first = seen.get(value);
    if (first !== undefined) report([...base, i, field], `duplicate ${what} '${value}' (first defined at index ${first})`);
    else seen.set(value, i);
  });
}

// ---------------------------------------------------------------------------------------------- catalog

function checkCatalog(spec: Spec, report: Report): void {
  const { services, metrics, plans } = spec.catalog;
  checkUnique(services, (s) => s.code, ['catalog', 'services'], 'code', 'service code', report);
  checkUnique(metrics, (m) => m.code, ['catalog', 'metrics'], 'code', 'metric code', report);
  checkUnique(plans, (p) => p.code, ['catalog', 'plans'], 'code', 'plan code', report);

  const serviceCodes = new Set(services.map((s) => s.code));
  const metricsByCode = new Map(metrics.map((m) => [m.code, m]));

  services.forEach((service, i) => {
    const at: SpecPath = ['catalog', 'services', i];
    if (currencyExponent(service.currency) === undefined) {
      report([...at, 'currency'], `service '${service.code}': unknown currency '${service.currency}' (not an ISO 4217 code)`);
    }
    if (service.account_id?.pattern !== undefined) checkRegex(service.account_id.pattern, [...at, 'account_id', 'pattern'], report);
    const hooks = service.webhooks ?? [];
    checkUnique(hooks, (w) => w.code, [...at, 'webhooks'], 'code', 'webhook endpoint code', report);
    hooks.forEach((hook, h) =>
      (hook.event_types ?? []).forEach((type, t) => {
        if (!(WEBHOOK_TYPES as readonly string[]).includes(type)) {
          report([...at, 'webhooks', h, 'event_types', t], `unknown webhook type '${type}'; known: ${WEBHOOK_TYPES.join(', ')}`);
        }
      }),
    );
  });

  metrics.forEach((metric, i) => {
    const at: SpecPath = ['catalog', 'metrics', i];
    if (!serviceCodes.has(metric.service)) {
      report(
        [...at, 'service'],
        `metric '${metric.code}' refers to unknown service '${metric.service}'${suggest(metric.service, serviceCodes)}`,
      );
    }
    checkMetric(metric, at, report);
  });

  const products = new Map<string, { name: string; where: string }>();
  const noteProduct = (code: string, name: string, path: SpecPath, where: string) => {
    const known = products.get(code);
    if (known && known.name !== name) {
      report([...path, 'code'], `product code '${code}' is already used by ${known.where} with another name ('${known.name}')`);
    } else if (!known) products.set(code, { name, where });
  };

  plans.forEach((plan, p) => {
    const at: SpecPath = ['catalog', 'plans', p];
    if (!serviceCodes.has(plan.service)) {
      report([...at, 'service'], `plan '${plan.code}' refers to unknown service '${plan.service}'${suggest(plan.service, serviceCodes)}`);
    }
    noteProduct(plan.product.code, plan.product.name, [...at, 'product'], `plan '${plan.code}'`);
    // Lago bills usage monthly only on plans longer than a quarter (Plan#bill_charges_monthly?).
    if (plan.bill_charges_monthly && plan.interval !== 'yearly' && plan.interval !== 'semiannual') {
      report(
        [...at, 'bill_charges_monthly'],
        `plan '${plan.code}' is ${plan.interval}: bill_charges_monthly applies to yearly and semiannual plans only`,
      );
    }
    checkUsageThresholds(plan, services.find((s) => s.code === plan.service)?.currency, at, report);
    checkUnique(plan.charges, (c) => c.code, [...at, 'charges'], 'code', 'charge code', report);
    plan.charges.forEach((charge, c) => {
      const cat: SpecPath = [...at, 'charges', c];
      noteProduct(charge.product.code, charge.product.name, [...cat, 'product'], `charge '${plan.code}.${charge.code}'`);
      const metric = metricsByCode.get(charge.metric);
      if (!metric) {
        report(
          [...cat, 'metric'],
          `charge '${charge.code}' refers to unknown metric '${charge.metric}'${suggest(charge.metric, metricsByCode.keys())}`,
        );
      } else if (metric.service !== plan.service) {
        report(
          [...cat, 'metric'],
          `charge '${charge.code}' of plan '${plan.code}' (service '${plan.service}') uses metric '${metric.code}' of service '${metric.service}'`,
        );
      }
      checkCharge(charge, metric, cat, report);
      checkChargeFilters(charge, metric, cat, report);
    });
  });
}

/** Lago's UsageThreshold validations: amounts above zero in whole subunits of the plan's currency,
 * one threshold per (amount, recurring), at most one recurring. */
function checkUsageThresholds(plan: PlanSpec, currency: string | undefined, at: SpecPath, report: Report): void {
  const exponent = currency ? currencyExponent(currency) : undefined;
  const seen = new Map<string, number>();
  let recurring: number | undefined;
  (plan.usage_thresholds ?? []).forEach((threshold, t) => {
    const tat: SpecPath = [...at, 'usage_thresholds', t];
    const [, decimals = ''] = threshold.amount.split('.');
    if (!/[1-9]/.test(threshold.amount)) {
      report([...tat, 'amount'], `usage threshold of plan '${plan.code}' must be above zero`);
    } else if (exponent !== undefined && decimals.replace(/0+$/, '').length > exponent) {
      report(
        [...tat, 'amount'],
        `usage threshold ${threshold.amount} of plan '${plan.code}' has more decimals than ${currency} (${exponent})`,
      );
    }
    const key = `${Number(threshold.amount)}/${threshold.recurring ? 'recurring' : 'once'}`;
    if (seen.has(key)) {
      report(
        [...tat, 'amount'],
        `plan '${plan.code}' already has a ${threshold.recurring ? 'recurring' : 'one-time'} usage threshold of ${threshold.amount} (usage_thresholds[${seen.get(key)}])`,
      );
    } else seen.set(key, t);
    if (threshold.recurring) {
      if (recurring !== undefined) {
        report(
          [...tat, 'recurring'],
          `plan '${plan.code}' has a recurring usage threshold already (usage_thresholds[${recurring}]): Lago allows one`,
        );
      } else recurring = t;
    }
  });
}

/** Filters price values the metric declares; each filter is a charge of its own for the property rules. */
function checkChargeFilters(charge: ChargeSpec, metric: MetricSpec | undefined, at: SpecPath, report: Report): void {
  const seen = new Map<string, number>();
  (charge.filters ?? []).forEach((filter, f) => {
    const fat: SpecPath = [...at, 'filters', f];
    for (const [key, values] of Object.entries(filter.values)) {
      const allowed = metric?.filters?.[key];
      if (metric && !allowed) {
        const keys = Object.keys(metric.filters ?? {});
        report(
          [...fat, 'values', key],
          `charge '${charge.code}': metric '${metric.code}' has no filter '${key}'${keys.length ? `${suggest(key, keys)}; its filters: ${keys.join(', ')}` : ' (it declares no filters)'}`,
          true,
        );
        continue;
      }
      values.forEach((value, v) => {
        if (allowed && !allowed.includes(value)) {
          report(
            [...fat, 'values', key, v],
            `charge '${charge.code}': '${value}' is not a value of filter '${key}' of metric '${metric!.code}'${suggest(value, allowed)}; allowed: ${allowed.join(', ')}`,
          );
        }
      });
    }
    const canonical = Object.entries(filter.values)
      .map(([key, values]) => `${key}=${[...values].sort().join('+')}`)
      .sort()
      .join('|');
    if (seen.has(canonical))
      report([...fat, 'values'], `charge '${charge.code}': filter ${f} prices the same values as filter ${seen.get(canonical)}`);
    else seen.set(canonical, f);
    checkCharge({ ...charge, properties: filter.properties, examples: [] }, metric, fat, report);
  });
}

function checkMetric(metric: MetricSpec, at: SpecPath, report: Report): void {
  if (metric.aggregation === 'count' && metric.field_name !== undefined) {
    report([...at, 'field_name'], `metric '${metric.code}': a count metric counts events and takes no field_name`);
  }
  if (metric.aggregation !== 'count' && metric.field_name === undefined) {
    report(at, `metric '${metric.code}': aggregation '${metric.aggregation}' needs a field_name (the event property to aggregate)`);
  }
  if (metric.recurring && ['count', 'max', 'latest'].includes(metric.aggregation)) {
    report(
      [...at, 'recurring'],
      `metric '${metric.code}': a ${metric.aggregation} metric cannot be recurring (Lago allows recurring sum, unique_count and weighted_sum only)`,
    );
  }
}

function checkCharge(charge: ChargeSpec, metric: MetricSpec | undefined, at: SpecPath, report: Report): void {
  const props = charge.properties;
  const propsAt: SpecPath = [...at, 'properties'];
  switch (charge.model) {
    case 'graduated':
      checkTiers(props.graduated_ranges as TierSpec[] | undefined, [...propsAt, 'graduated_ranges'], 'graduated', report);
      break;
    case 'graduated_percentage':
      checkTiers(
        props.graduated_percentage_ranges as TierSpec[] | undefined,
        [...propsAt, 'graduated_percentage_ranges'],
        'graduated_percentage',
        report,
      );
      break;
    case 'volume':
      checkTiers(props.volume_ranges as TierSpec[] | undefined, [...propsAt, 'volume_ranges'], 'volume', report);
      break;
    case 'percentage': {
      const min = props.per_transaction_min_amount as string | undefined;
      const max = props.per_transaction_max_amount as string | undefined;
      if (min !== undefined && max !== undefined && Number(min) > Number(max)) {
        report(
          [...propsAt, 'per_transaction_min_amount'],
          `charge '${charge.code}': per_transaction_min_amount ${min} exceeds per_transaction_max_amount ${max}`,
        );
      }
      if (metric?.aggregation === 'latest') {
        report([...at, 'model'], `charge '${charge.code}': the percentage model cannot price a latest metric ('${metric.code}')`);
      }
      break;
    }
    default:
      break;
  }
  (charge.examples ?? []).forEach((example, e) => {
    const eat: SpecPath = [...at, 'examples', e];
    if (example.event_values !== undefined) {
      const total = example.event_values.reduce((sum, v) => sum + Number(v), 0);
      if (Math.abs(total - Number(example.units)) > 1e-9) {
        report([...eat, 'event_values'], `example: event_values add up to ${total}, not to units ${example.units}`);
      }
      if (example.events_count !== undefined && example.events_count !== example.event_values.length) {
        report([...eat, 'events_count'], `example: events_count ${example.events_count} but ${example.event_values.length} event_values`);
      }
    }
  });
}

/**
 * Tier boundaries as Lago accepts them. Graduated tiers are either classic inclusive integers
 * (0–10, 11–20, 21–∞) or adjacent (0–10, 10–20, 20–∞); mixing the two is refused because Lago
 * then silently prices with the classic rule. Volume and graduated_percentage are classic only
 * (Lago's amount math for them implements only the +1 rule).
 */
function checkTiers(tiers: TierSpec[] | undefined, at: SpecPath, model: string, report: Report): void {
  if (!tiers || tiers.length === 0) return;
  const first = tiers[0]!;
  const firstAllowed = model === 'volume' ? [0] : [0, 1];
  if (!firstAllowed.includes(first.from_value)) {
    report([...at, 0, 'from_value'], `the first tier must start at ${firstAllowed.join(' or ')}, not ${first.from_value}`);
  }
  const adjacent = model === 'graduated' && tiers.slice(1).some((t, i) => t.from_value === tiers[i]!.to_value);
  tiers.forEach((tier, i) => {
    const tat: SpecPath = [...at, i];
    const last = i === tiers.length - 1;
    if (tier.to_value === null && !last) report([...tat, 'to_value'], `only the last tier can be open-ended (to_value: null)`);
    if (tier.to_value !== null && last)
      report([...tat, 'to_value'], `the last tier must be open-ended (to_value: null) so that every unit is priced`);
    if (tier.to_value !== null && tier.to_value <= tier.from_value) {
      report([...tat, 'to_value'], `to_value ${tier.to_value} must be greater than from_value ${tier.from_value}`);
    }
    if (!adjacent) {
      for (const key of ['from_value', 'to_value'] as const) {
        const v = tier[key];
        if (v !== null && !Number.isInteger(v))
          report(
            [...tat, key],
            `${key} ${v}: classic tiers use whole numbers (use adjacent tiers, from = previous to, for decimal bounds)`,
          );
      }
    }
    if (i === 0) return;
    const prevTo = tiers[i - 1]!.to_value;
    if (prevTo === null) return;
    const expected = adjacent ? prevTo : prevTo + 1;
    if (tier.from_value === expected) return;
    const kind = adjacent ? 'adjacent' : 'classic';
    if (model === 'graduated' && (tier.from_value === prevTo || tier.from_value === prevTo + 1)) {
      report(
        [...tat, 'from_value'],
        `tiers mix adjacent (from = previous to) and classic (from = previous to + 1) boundaries; use one style`,
      );
    } else if (tier.from_value < expected) {
      report(
        [...tat, 'from_value'],
        `tier overlaps the previous one: from_value ${tier.from_value}, expected ${expected} (${kind} tiers, previous to_value ${prevTo})`,
      );
    } else {
      report(
        [...tat, 'from_value'],
        `gap between tiers: from_value ${tier.from_value}, expected ${expected} (${kind} tiers, previous to_value ${prevTo})`,
      );
    }
  });
}

function checkRegex(pattern: string, path: SpecPath, report: Report): void {
  try {
    new RegExp(pattern);
  } catch (err) {
    report(path, `invalid regular expression: ${(err as Error).message}`);
  }
}

// ---------------------------------------------------------------------------------------------- module

/** Fields every model has without declaring them. */
const LOG_ACCESS_FIELDS = ['create_date', 'create_uid', 'write_date', 'write_uid'];
const MAGIC_FIELDS = ['id', ...LOG_ACCESS_FIELDS, 'display_name'];

function checkModule(spec: Spec, report: Report): void {
  const mod = spec.module;
  const models = mod.models;
  const groupIds = new Set(mod.security.groups.map((g) => g.id));
  const sectionIds = new Set(mod.menus.sections.map((s) => s.id));
  const modelsByName = new Map(models.map((m) => [m.name, m]));

  const declared = new Map<string, Set<string>>();
  for (const m of [...models, ...(mod.extensions ?? [])]) {
    const name = 'name' in m ? m.name : m.model;
    declared.set(name, new Set([...(declared.get(name) ?? []), ...m.fields.map((f) => f.name)]));
  }
  for (const [model, required] of Object.entries(CORE_CONTRACT)) {
    const missing = required.filter((f) => !declared.get(model)?.has(f));
    if (missing.length > 0) {
      const index = models.findIndex((m) => m.name === model);
      const extIndex = (mod.extensions ?? []).findIndex((e) => e.model === model);
      const where: SpecPath =
        index >= 0 ? ['module', 'models', index] : extIndex >= 0 ? ['module', 'extensions', extIndex] : ['module', 'models'];
      report(
        where,
        `${model} must declare ${missing.join(', ')}: the catalog data and the module's own code use ${missing.length === 1 ? 'it' : 'them'}`,
      );
    }
  }

  checkUnique(mod.security.groups, (g) => g.id, ['module', 'security', 'groups'], 'id', 'group id', report);
  checkUnique(mod.menus.sections, (s) => s.id, ['module', 'menus', 'sections'], 'id', 'menu section', report);
  checkUnique(models, (m) => m.name, ['module', 'models'], 'name', 'model', report);
  mod.security.groups.forEach((g, i) =>
    (g.implies ?? []).forEach((ref, r) => {
      if (!ref.includes('.') && !groupIds.has(ref)) report(['module', 'security', 'groups', i, 'implies', r], `unknown group '${ref}'`);
    }),
  );
  const checkGroupRefs = (refs: string[] | undefined, path: SpecPath) =>
    (refs ?? []).forEach((ref, r) => {
      if (!ref.includes('.') && !groupIds.has(ref)) report([...path, r], `unknown group '${ref}'${suggest(ref, groupIds)}`);
    });
  checkGroupRefs(mod.menus.root.groups, ['module', 'menus', 'root', 'groups']);
  mod.menus.sections.forEach((s, i) => checkGroupRefs(s.groups, ['module', 'menus', 'sections', i, 'groups']));

  models.forEach((model, m) => {
    const at: SpecPath = ['module', 'models', m];
    if (!model.name.startsWith(`${mod.technical_name.replace(/_/g, '.')}.`)) {
      report([...at, 'name'], `model '${model.name}' must be named under '${mod.technical_name.replace(/_/g, '.')}.'`);
    }
    checkUnique(model.fields, (f) => f.name, [...at, 'fields'], 'name', 'field', report);
    const magic = model.log_access === false ? MAGIC_FIELDS.filter((name) => !LOG_ACCESS_FIELDS.includes(name)) : MAGIC_FIELDS;
    const fieldNames = new Set([...model.fields.map((f) => f.name), ...magic, ...(model.company ? ['company_id'] : [])]);
    const fieldsByName = new Map(model.fields.map((f) => [f.name, f]));

    if (model.company && fieldsByName.has('company_id')) {
      report(
        [...at, 'fields', model.fields.findIndex((f) => f.name === 'company_id'), 'name'],
        `company_id is added by 'company:'; do not declare it`,
      );
    }
    if (model.company && model.company !== 'own') {
      const via = model.company.related.split('.')[0]!;
      const viaField = fieldsByName.get(via);
      if (viaField?.type !== 'many2one') report([...at, 'company', 'related'], `'${via}' is not a many2one field of ${model.name}`);
      else if (viaField.comodel?.startsWith('fusion.') && !modelsByName.get(viaField.comodel)?.company) {
        report([...at, 'company', 'related'], `${viaField.comodel} has no company_id to relate to`);
      }
    }
    for (const [key, value] of [['rec_name', model.rec_name]] as const) {
      if (value !== undefined && !fieldNames.has(value)) report([...at, key], `unknown field '${value}'${suggest(value, fieldNames)}`);
    }
    (model.order ?? '')
      .split(',')
      .map((s) => s.trim().split(' ')[0]!)
      .filter(Boolean)
      .forEach((name) => {
        if (!fieldNames.has(name)) report([...at, 'order'], `order: unknown field '${name}'${suggest(name, fieldNames)}`);
      });

    model.fields.forEach((field, f) => checkField(field, [...at, 'fields', f], model, modelsByName, fieldNames, report));

    const constraints = model.constraints ?? [];
    checkUnique(constraints, (c) => c.name, [...at, 'constraints'], 'name', 'constraint', report);
    constraints.forEach((c, i) =>
      (c.unique ?? []).forEach((col, k) => {
        if (!fieldNames.has(col)) report([...at, 'constraints', i, 'unique', k], `unknown field '${col}'${suggest(col, fieldNames)}`);
      }),
    );
    (model.indexes ?? []).forEach((index, i) =>
      index.columns.forEach((col, k) => {
        if (!fieldNames.has(col)) report([...at, 'indexes', i, 'columns', k], `unknown field '${col}'${suggest(col, fieldNames)}`);
      }),
    );
    // Constraints and indexes share one SQL namespace: {table}_{name}.
    const constraintNames = new Set(constraints.map((c) => c.name));
    (model.indexes ?? []).forEach((index, i) => {
      if (constraintNames.has(index.name)) report([...at, 'indexes', i, 'name'], `index '${index.name}' has the name of a constraint`);
    });

    Object.keys(model.access).forEach((group) => {
      if (!groupIds.has(group)) report([...at, 'access', group], `access: unknown group '${group}'${suggest(group, groupIds)}`, true);
    });
    const storedOrDisplayable = (name: string) => fieldNames.has(name);
    const checkViewFields = (names: string[] | undefined, path: SpecPath) =>
      (names ?? []).forEach((name, k) => {
        if (!storedOrDisplayable(name)) report([...path, k], `unknown field '${name}'${suggest(name, fieldNames)}`);
      });
    checkViewFields(model.views?.list, [...at, 'views', 'list']);
    checkViewFields(model.views?.search.fields, [...at, 'views', 'search', 'fields']);
    checkViewFields(model.views?.search.group_by, [...at, 'views', 'search', 'group_by']);
    (model.views?.search.group_by ?? []).forEach((name, k) => {
      const type = name === 'company_id' ? 'many2one' : fieldsByName.get(name)?.type;
      if (type && !['many2one', 'selection', 'char', 'boolean', 'date', 'datetime'].includes(type)) {
        report([...at, 'views', 'search', 'group_by', k], `cannot group by ${type} field '${name}'`);
      }
    });
    const groupable = (name: string) =>
      ['many2one', 'selection', 'char', 'boolean', 'date', 'datetime'].includes(
        name === 'company_id' ? 'many2one' : (fieldsByName.get(name)?.type ?? ''),
      );
    const measurable = (name: string) => ['integer', 'float', 'monetary'].includes(fieldsByName.get(name)?.type ?? '');
    const checkReportFields = (names: string[] | undefined, path: SpecPath, kind: 'group' | 'measure') =>
      (names ?? []).forEach((name, k) => {
        if (!storedOrDisplayable(name)) report([...path, k], `unknown field '${name}'${suggest(name, fieldNames)}`);
        else if (kind === 'group' && !groupable(name))
          report([...path, k], `cannot group by ${fieldsByName.get(name)?.type} field '${name}'`);
        else if (kind === 'measure' && !measurable(name))
          report([...path, k], `a measure must be an integer, float or monetary field; '${name}' is ${fieldsByName.get(name)?.type}`);
      });
    checkReportFields(model.views?.pivot?.rows, [...at, 'views', 'pivot', 'rows'], 'group');
    checkReportFields(model.views?.pivot?.cols, [...at, 'views', 'pivot', 'cols'], 'group');
    checkReportFields(model.views?.pivot?.measures, [...at, 'views', 'pivot', 'measures'], 'measure');
    checkReportFields(model.views?.graph?.groupby, [...at, 'views', 'graph', 'groupby'], 'group');
    checkReportFields(model.views?.graph?.measures, [...at, 'views', 'graph', 'measures'], 'measure');
    if (model.menu && !sectionIds.has(model.menu.section)) {
      report([...at, 'menu', 'section'], `unknown menu section '${model.menu.section}'${suggest(model.menu.section, sectionIds)}`);
    }
    if (model.menu && !model.views) report([...at, 'menu'], `a model with a menu needs views (list and search)`);
    checkViolations(constraints, fieldNames, at, report);
  });

  checkUnique(mod.extensions ?? [], (x) => x.model, ['module', 'extensions'], 'model', 'extended model', report);
  (mod.extensions ?? []).forEach((ext, e) => {
    const at: SpecPath = ['module', 'extensions', e];
    const baseFields = EXTENDABLE_MODELS[ext.model];
    if (!baseFields) {
      report(
        [...at, 'model'],
        `the generator cannot extend ${ext.model} (it knows how to test ${Object.keys(EXTENDABLE_MODELS).join(', ')})`,
      );
      return;
    }
    const fieldNames = new Set([...ext.fields.map((f) => f.name), ...MAGIC_FIELDS, ...baseFields]);
    checkUnique(ext.fields, (f) => f.name, [...at, 'fields'], 'name', 'field', report);
    ext.fields.forEach((field, f) => {
      // A prefix keeps added fields from clobbering the extended model's own.
      if (!field.name.startsWith('fusion_'))
        report([...at, 'fields', f, 'name'], `field '${field.name}' added to ${ext.model} must start with 'fusion_'`);
      checkField(field, [...at, 'fields', f], { name: ext.model } as ModelSpec, modelsByName, fieldNames, report);
    });
    (ext.constraints ?? []).forEach((c, i) =>
      (c.unique ?? []).forEach((col, k) => {
        if (!fieldNames.has(col)) report([...at, 'constraints', i, 'unique', k], `unknown field '${col}'${suggest(col, fieldNames)}`);
      }),
    );
    checkViolations(ext.constraints ?? [], fieldNames, at, report);
  });
}

/** Route handlers are implemented by hand in Python; a route without one would 500 at run time. */
function checkApi(spec: Spec, handlers: Set<string> | undefined, handlersFile: string, report: Report): void {
  const api = spec.module.api;
  checkUnique(api.routes, (r) => `${r.method} ${r.path}`, ['module', 'api', 'routes'], 'path', 'route', report);
  api.routes.forEach((route, i) => {
    if (handlers && !handlers.has(route.handler)) {
      report(
        [...['module', 'api', 'routes'], i, 'handler'],
        `route ${route.method} ${route.path}: no function '${route.handler}' in ${handlersFile}`,
      );
    }
  });
}

function checkViolations(constraints: ConstraintSpec[], fieldNames: Set<string>, at: SpecPath, report: Report): void {
  constraints.forEach((c, i) => {
    const cat: SpecPath = [...at, 'constraints', i];
    if ((c.unique === undefined) === (c.check === undefined)) report(cat, `constraint '${c.name}' needs exactly one of unique or check`);
    if (c.check !== undefined && c.violated_by === undefined) {
      report(
        cat,
        `check constraint '${c.name}' needs violated_by: field values that must make it fail (the generated tests assert that they do)`,
      );
    }
    if (c.unique && c.violated_by)
      report([...at, 'constraints', i, 'violated_by'], `unique constraints are tested automatically; violated_by is for check constraints`);
    if (c.where && !c.unique)
      report([...at, 'constraints', i, 'where'], `where applies to unique constraints only (a partial unique index)`);
    Object.keys(c.where ?? {}).forEach((name) => {
      if (!fieldNames.has(name))
        report([...at, 'constraints', i, 'where', name], `unknown field '${name}'${suggest(name, fieldNames)}`, true);
    });
    Object.keys(c.violated_by ?? {}).forEach((name) => {
      if (!fieldNames.has(name))
        report([...at, 'constraints', i, 'violated_by', name], `unknown field '${name}'${suggest(name, fieldNames)}`, true);
    });
  });
}

function checkField(
  field: FieldSpec,
  at: SpecPath,
  model: ModelSpec,
  modelsByName: Map<string, ModelSpec>,
  fieldNames: Set<string>,
  report: Report,
): void {
  const relational = field.type === 'many2one' || field.type === 'one2many';
  if (relational && !field.comodel) report(at, `${field.type} field '${field.name}' needs a comodel`);
  if (!relational && field.comodel) report([...at, 'comodel'], `only relational fields take a comodel`);
  if (field.type === 'one2many') {
    if (!field.inverse) report(at, `one2many field '${field.name}' needs an inverse (the many2one on ${field.comodel})`);
    const target = field.comodel ? modelsByName.get(field.comodel) : undefined;
    if (field.inverse && target) {
      const inverse = target.fields.find((f) => f.name === field.inverse);
      if (inverse?.type !== 'many2one' || inverse.comodel !== model.name) {
        report([...at, 'inverse'], `'${field.inverse}' is not a many2one to ${model.name} on ${target.name}`);
      }
    }
  } else if (field.inverse) report([...at, 'inverse'], `only one2many fields take an inverse`);
  if (field.comodel?.startsWith('fusion.') && !modelsByName.has(field.comodel)) {
    report([...at, 'comodel'], `unknown model '${field.comodel}'${suggest(field.comodel, modelsByName.keys())}`);
  }
  if (field.ondelete && field.type !== 'many2one') report([...at, 'ondelete'], `only many2one fields take ondelete`);
  if (field.ondelete === 'set null' && field.required) report([...at, 'ondelete'], `a required many2one cannot be 'set null' on delete`);
  if (field.type === 'selection') {
    if (!field.selection) report(at, `selection field '${field.name}' needs its selection`);
    const keys = (field.selection ?? []).map(([k]) => k);
    if (field.default !== undefined && !keys.includes(String(field.default))) {
      report([...at, 'default'], `default '${String(field.default)}' is not one of ${keys.join(', ')}`);
    }
  } else if (field.selection) report([...at, 'selection'], `only selection fields take a selection`);
  if (field.type === 'monetary') {
    if (!field.currency_field) report(at, `monetary field '${field.name}' needs a currency_field`);
    else if (!fieldNames.has(field.currency_field)) report([...at, 'currency_field'], `unknown field '${field.currency_field}'`);
  } else if (field.currency_field) report([...at, 'currency_field'], `only monetary fields take a currency_field`);
  if (field.digits && field.type !== 'float') report([...at, 'digits'], `only float fields take digits`);
  if (field.type === 'float' && !field.digits)
    report(at, `float field '${field.name}' needs digits: [precision, scale] or exact (stored as exact numeric)`);
  if (field.translate && !['char', 'text'].includes(field.type))
    report([...at, 'translate'], `only char and text fields can be translated`);
  if (field.type === 'datetime' && field.default !== undefined && field.default !== 'now') {
    report([...at, 'default'], `a datetime field takes no default but 'now' (the time the record is created)`);
  } else if (field.default !== undefined && ['many2one', 'one2many', 'json', 'date'].includes(field.type)) {
    report([...at, 'default'], `a ${field.type} field cannot take a literal default`);
  }
  const defaultTypes: Record<string, string> = {
    boolean: 'boolean',
    integer: 'number',
    char: 'string',
    text: 'string',
    selection: 'string',
  };
  const expected = defaultTypes[field.type];
  if (field.default !== undefined && expected && typeof field.default !== expected) {
    report([...at, 'default'], `default of a ${field.type} field must be a ${expected}`);
  }
}

/** "did you mean" for a mistyped reference, by edit distance. */
export function suggest(value: string, candidates: Iterable<string>): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(value, c);
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(value.length / 3)) ? ` (did you mean '${best}'?)` : '';
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = current;
    }
  }
  return row[b.length]!;
}
