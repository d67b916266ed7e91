// Spec → IR. All naming and derivation decisions live here; emitters only lay the IR out.
import { currencyExponent } from '../spec/currencies.ts';
import type { Diagnostic } from '../spec/diagnostics.ts';
import { TEST_FACTORIES } from '../spec/odoo-models.ts';
import type { ValidSpec } from '../spec/index.ts';
import type { ButtonSpec, ConstraintSpec, FieldSpec, ModelSpec, Spec } from '../spec/types.ts';
import { accessMatrix } from './access.ts';
import { constraintCases } from './constraints.ts';
import { deepFreeze } from './freeze.ts';
import { className, defaultLabel, shortName, tableName, xmlidPart } from './naming.ts';
import { pyLiteral, pyString } from './python-literal.ts';
import type {
  AccessIR,
  BillingIR,
  ButtonIR,
  CatalogIR,
  CronIR,
  ChargeIR,
  ConstraintIR,
  ExtensionIR,
  FactoryIR,
  FieldIR,
  GroupIR,
  IndexIR,
  MenuIR,
  ModelIR,
  ModuleIR,
  ProductIR,
  ViewsIR,
} from './types.ts';

// Every method a client may send: a path answers the ones it does not serve with Lago's 405 body.
const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

const PY_CLASS: Record<FieldSpec['type'], string> = {
  char: 'Char',
  text: 'Text',
  boolean: 'Boolean',
  integer: 'Integer',
  float: 'Float',
  monetary: 'Monetary',
  date: 'Date',
  datetime: 'Datetime',
  selection: 'Selection',
  many2one: 'Many2one',
  one2many: 'One2many',
  json: 'Json',
};

/** How generated tests obtain a record of a model the module does not define (the validator refuses any other). */
const EXTERNAL_FACTORIES = TEST_FACTORIES;

/** The spec's model of the reconciliation with Lago: its PDF report's template calls the hand-written Python. */
const RECONCILIATION_MODEL = 'reconciliation';

/** The IR of a valid spec: a frozen copy that shares nothing with the spec (see types.ts). */
export function buildIR(valid: ValidSpec, specFile: string): BillingIR {
  const ir: BillingIR = { source: { specFile }, module: buildModule(valid.spec), catalog: buildCatalog(valid, specFile) };
  return deepFreeze(structuredClone(ir));
}

// ---------------------------------------------------------------------------------------------- module

function buildModule(spec: Spec): ModuleIR {
  const mod = spec.module;
  const tech = mod.technical_name;
  const modelPrefix = tech.replace(/_/g, '.');
  const groups = buildGroups(spec);
  const companyScoped = new Set(mod.models.filter((m) => m.company).map((m) => m.name));
  const models = mod.models.map((m) => buildModel(m, spec, groups, companyScoped));
  const extensions: ExtensionIR[] = (mod.extensions ?? []).map((ext) => {
    const table = tableName(ext.model);
    return {
      model: ext.model,
      className: className(ext.model),
      pyModule: table,
      table,
      fields: ext.fields.map((f) => buildField(f, companyScoped, tech)),
      constraints: (ext.constraints ?? []).map((c) => buildConstraint(c, table)),
      formView: ext.form
        ? {
            xmlid: `${table}_form_${tech}`,
            inheritRef: ext.form.inherit,
            buttons: (ext.form.buttons ?? []).map((b) => buildButton(b, tech)),
            page: ext.form.page,
          }
        : undefined,
      factory: extensionFactory(
        ext.model,
        ext.fields.map((f) => buildField(f, companyScoped, tech)),
        ext.constraints ?? [],
        tech,
      ),
    };
  });
  const menus = buildMenus(spec, models);
  const api = spec.module.api;
  const odooPathOf = (path: string) =>
    `${api.base_path}${path.replace(/\{([a-z_]+)(:path)?\}/g, (_match, name: string, path?: string) => `<${path ? 'path' : 'string'}:${name}>`)}`;
  const methodsByPath = new Map<string, Set<string>>();
  for (const r of api.routes) methodsByPath.set(odooPathOf(r.path), new Set([...(methodsByPath.get(odooPathOf(r.path)) ?? []), r.method]));
  const viewFiles = [
    ...models.flatMap((m) => (m.views ? [m.views.file] : [])),
    ...extensions.flatMap((x) => (x.formView ? [`views/${x.table}_views.xml`] : [])),
  ];
  const crons: CronIR[] = (mod.crons ?? []).map((c) => ({
    xmlid: c.id,
    name: c.name,
    model: c.model,
    modelXmlid: c.model.startsWith(`${modelPrefix}.`)
      ? `model_${tableName(c.model)}`
      : `${EXTENDABLE_MODEL_MODULES[c.model] ?? 'base'}.model_${tableName(c.model)}`,
    method: c.method,
    intervalNumber: c.every.number,
    intervalType: c.every.unit,
  }));
  const reconciliation = models.find((m) => m.name === `${modelPrefix}.${RECONCILIATION_MODEL}`);
  const reconciliationReport = reconciliation
    ? { model: reconciliation.name, modelXmlid: reconciliation.modelXmlid, file: 'report/reconciliation_report.xml' }
    : undefined;
  const constraintOwners = [
    ...models.map((m) => ({ model: m.name, factory: m.factory.method, fields: m.fields, constraints: m.constraints })),
    ...extensions.map((e) => ({ model: e.model, factory: e.factory.method, fields: e.fields, constraints: e.constraints })),
  ];
  return {
    technicalName: tech,
    modelPrefix,
    name: mod.name,
    version: mod.version,
    summary: mod.summary,
    author: mod.author,
    website: mod.website,
    license: mod.license,
    category: mod.category,
    depends: mod.depends,
    // The hand-written Python needs nothing beyond Odoo's own dependencies (listed when it does).
    pythonDependencies: [],
    privilege: { xmlid: `res_groups_privilege_${tech}`, name: mod.security.privilege.name, categoryRef: mod.security.privilege.category },
    groups,
    models,
    extensions,
    menus,
    crons,
    webhooks: {
      maxAttempts: mod.webhooks.max_attempts,
      timeoutSeconds: mod.webhooks.timeout_seconds,
      baseDelaySeconds: mod.webhooks.base_delay_seconds,
      maxDelaySeconds: mod.webhooks.max_delay_seconds,
      batchSize: mod.webhooks.batch_size,
    },
    api: {
      controllerClass: `${className(modelPrefix)}Api`,
      basePath: api.base_path,
      eventsBatchLimit: api.events_batch_limit,
      maxBodyBytes: api.max_body_bytes,
      routes: api.routes.map((r) => {
        const pathParams = [...r.path.matchAll(/\{([a-z_]+)(?::path)?\}/g)].map((m) => m[1]!);
        return {
          method: r.method,
          path: `${api.base_path}${r.path}`,
          odooPath: odooPathOf(r.path),
          handler: r.handler,
          methodName: `${r.method.toLowerCase()}_${r.handler}`,
          readonly: r.method === 'GET' && !r.writes ? 'True' : 'False',
          pathParams,
        };
      }),
      notAllowed: [...methodsByPath.entries()]
        .map(([odooPath, served], index) => ({
          odooPath,
          methods: HTTP_METHODS.filter((m) => !served.has(m)),
          methodName: `method_not_allowed_${index + 1}`,
        }))
        .filter((entry) => entry.methods.length > 0),
      // The base path itself too (`/api/v1`, `/api/v1/`: what `/api/v1/plans/..` resolves to).
      unknownPath: { odooPaths: [api.base_path, `${api.base_path}/<path:unknown_path>`], methods: HTTP_METHODS },
    },
    dataFiles: [
      `security/${tech}_security.xml`,
      'security/ir.model.access.csv',
      `security/${tech}_rules.xml`,
      ...viewFiles,
      'views/menus.xml',
      ...(reconciliationReport ? [reconciliationReport.file] : []),
      'data/catalog.xml',
      ...(crons.length > 0 ? ['data/crons.xml'] : []),
    ],
    reconciliationReport,
    accessMatrix: accessMatrix(groups, models),
    constraintCases: constraintCases(
      constraintOwners,
      models.flatMap((m) => m.indexes),
      tech,
    ),
  };
}

function buildGroups(spec: Spec): GroupIR[] {
  const tech = spec.module.technical_name;
  const specs = spec.module.security.groups;
  const byId = new Map(specs.map((g) => [g.id, g]));
  const closure = (id: string, seen = new Set<string>()): string[] => {
    if (seen.has(id)) return [];
    seen.add(id);
    const implied = (byId.get(id)?.implies ?? []).filter((ref) => !ref.includes('.'));
    return [id, ...implied.flatMap((ref) => closure(ref, seen))];
  };
  return specs.map((g, i) => ({
    xmlid: g.id,
    ref: `${tech}.${g.id}`,
    name: g.name,
    comment: g.comment,
    sequence: (i + 1) * 10,
    impliedRefs: g.implies ?? [],
    includeAdmin: g.include_admin ?? false,
    effectiveGroupIds: [...new Set(closure(g.id))].sort(),
  }));
}

function buildButton(button: ButtonSpec, tech: string): ButtonIR {
  return {
    method: button.method,
    label: button.label,
    groupRefs: (button.groups ?? []).map((g) => (g.includes('.') ? g : `${tech}.${g}`)).join(','),
    confirm: button.confirm,
  };
}

function buildField(field: FieldSpec, companyScoped: Set<string>, tech: string): FieldIR {
  const kw: [string, string][] = [];
  if (field.comodel) kw.push(['comodel_name', pyString(field.comodel)]);
  if (field.inverse) kw.push(['inverse_name', pyString(field.inverse)]);
  if (field.selection) kw.push(['selection', `[${field.selection.map(([k, v]) => `(${pyString(k)}, ${pyString(v)})`).join(', ')}]`]);
  if (field.string) kw.push(['string', pyString(field.string)]);
  if (field.required) kw.push(['required', 'True']);
  if (field.readonly) kw.push(['readonly', 'True']);
  if (field.index) kw.push(['index', 'True']);
  if (field.translate) kw.push(['translate', 'True']);
  if (field.ondelete) kw.push(['ondelete', pyString(field.ondelete)]);
  // A link to another company-scoped record must stay within one company.
  if (field.type === 'many2one' && field.comodel && companyScoped.has(field.comodel)) kw.push(['check_company', 'True']);
  // digits=0 is Odoo's numeric column without a fixed scale.
  if (field.digits) kw.push(['digits', field.digits === 'exact' ? '0' : `(${field.digits[0]}, ${field.digits[1]})`]);
  if (field.currency_field) kw.push(['currency_field', pyString(field.currency_field)]);
  // `now` on a datetime is evaluated per record, not once at import.
  if (field.default !== undefined) kw.push(['default', field.type === 'datetime' ? 'fields.Datetime.now' : pyLiteral(field.default)]);
  if (field.copy !== undefined) kw.push(['copy', field.copy ? 'True' : 'False']);
  if (field.groups) kw.push(['groups', pyString(field.groups.map((g) => (g.includes('.') ? g : `${tech}.${g}`)).join(','))]);
  if (field.help) kw.push(['help', pyString(field.help)]);
  return {
    name: field.name,
    type: field.type,
    pyClass: PY_CLASS[field.type],
    kwargs: kw,
    required: field.required ?? false,
    comodel: field.comodel,
    sample: field.sample,
    defaultValue: field.default,
    selectionKeys: field.selection?.map(([k]) => k),
  };
}

function companyField(company: NonNullable<ModelSpec['company']>): FieldIR {
  const base: [string, string][] = [
    ['comodel_name', "'res.company'"],
    ['string', "'Company'"],
  ];
  const kwargs: [string, string][] =
    company === 'own'
      ? [...base, ['required', 'True'], ['index', 'True'], ['default', 'lambda self: self.env.company']]
      : [
          ...base,
          ['related', pyString(company.related)],
          ...(company.stored === false
            ? []
            : ([
                ['store', 'True'],
                ['index', 'True'],
              ] as [string, string][])),
        ];
  return { name: 'company_id', type: 'many2one', pyClass: 'Many2one', kwargs, required: company === 'own', comodel: 'res.company' };
}

function buildConstraint(c: ConstraintSpec, table: string): ConstraintIR {
  const isIndex = Boolean(c.unique && c.where);
  return {
    attr: `_${c.name}`,
    sqlName: `${table}_${c.name}`,
    definition: isIndex
      ? `(${c.unique!.join(', ')}) WHERE ${whereClause(c.where!)}`
      : c.unique
        ? `UNIQUE(${c.unique.join(', ')})`
        : `CHECK(${c.check})`,
    message: c.message,
    unique: c.unique,
    isIndex,
    where: c.where,
    violatedBy: c.violated_by,
  };
}

/** `a = 'x' AND b IS TRUE` from {a: 'x', b: true}: SQL literals, quotes doubled. */
function whereClause(where: Record<string, string | number | boolean>): string {
  return Object.entries(where)
    .map(([column, value]) =>
      typeof value === 'boolean'
        ? `${column} IS ${value ? 'TRUE' : 'FALSE'}`
        : typeof value === 'number'
          ? `${column} = ${value}`
          : `${column} = '${value.replaceAll("'", "''")}'`,
    )
    .join(' AND ');
}

function buildModel(model: ModelSpec, spec: Spec, groups: GroupIR[], companyScoped: Set<string>): ModelIR {
  const tech = spec.module.technical_name;
  const table = tableName(model.name);
  const short = shortName(model.name, tech);
  const fields = model.fields.map((f) => buildField(f, companyScoped, tech));
  if (model.company) fields.push(companyField(model.company));
  const company: ModelIR['company'] =
    model.company === undefined
      ? undefined
      : model.company === 'own'
        ? { kind: 'own' }
        : { kind: 'related', path: model.company.related, stored: model.company.stored !== false };

  const groupById = new Map(groups.map((g) => [g.xmlid, g]));
  const access: AccessIR[] = Object.entries(model.access).map(([groupId, perms]) => ({
    xmlid: `access_${table}_${groupId}`,
    groupRef: groupById.get(groupId)!.xmlid,
    groupId,
    read: perms.includes('r'),
    write: perms.includes('w'),
    create: perms.includes('c'),
    unlink: perms.includes('d'),
  }));

  const indexes: IndexIR[] = (model.indexes ?? []).map((i) => ({
    attr: `_${i.name}`,
    sqlName: `${table}_${i.name}`,
    definition: `(${i.columns.join(', ')})`,
  }));

  return {
    name: model.name,
    shortName: short,
    className: className(model.name),
    pyModule: table,
    table,
    modelXmlid: `model_${table}`,
    description: model.description,
    recName: model.rec_name,
    order: model.order,
    company,
    logAccess: model.log_access !== false,
    fields,
    constraints: (model.constraints ?? []).map((c) => buildConstraint(c, table)),
    indexes,
    access,
    rule: company
      ? {
          xmlid: `rule_${table}_company`,
          name: `${model.description}: multi-company`,
          domain: "['|', ('company_id', '=', False), ('company_id', 'in', company_ids)]",
        }
      : undefined,
    views: model.views ? buildViews(model, fields, table, tech) : undefined,
    factory: buildFactory(model, fields, tech),
  };
}

function buildViews(model: ModelSpec, fields: FieldIR[], table: string, tech: string): ViewsIR {
  const label = (name: string) => model.fields.find((f) => f.name === name)?.string ?? defaultLabel(name);
  const scalar = fields.filter((f) => f.type !== 'one2many').map((f) => f.name);
  const { pivot, graph } = model.views!;
  return {
    listXmlid: `${table}_view_list`,
    formXmlid: `${table}_view_form`,
    searchXmlid: `${table}_view_search`,
    actionXmlid: `${table}_action`,
    actionName: model.menu?.name ?? model.description,
    list: model.views!.list,
    formFields: scalar,
    formPages: fields.filter((f) => f.type === 'one2many').map((f) => ({ field: f.name, title: label(f.name) })),
    search: model.views!.search.fields,
    filters: model.views!.search.filters ?? [],
    groupBy: (model.views!.search.group_by ?? []).map((f) => ({ field: f, label: label(f) })),
    archivedFilter: fields.some((f) => f.name === 'active'),
    formButtons: (model.views!.form_buttons ?? []).map((b) => buildButton(b, tech)),
    listButtons: (model.views!.list_buttons ?? []).map((b) => buildButton(b, tech)),
    pivot: pivot ? { xmlid: `${table}_view_pivot`, rows: pivot.rows, cols: pivot.cols ?? [], measures: pivot.measures } : undefined,
    graph: graph ? { xmlid: `${table}_view_graph`, type: graph.type, groupby: graph.groupby, measures: graph.measures } : undefined,
    viewMode: ['list', 'form', ...(pivot ? ['pivot'] : []), ...(graph ? ['graph'] : [])].join(','),
    file: `views/${table}_views.xml`,
  };
}

function buildFactory(model: ModelSpec, fields: FieldIR[], tech: string): FactoryIR {
  const uniqueColumns = new Set((model.constraints ?? []).flatMap((c) => c.unique ?? []));
  const vals: FactoryIR['vals'][number][] = [];
  for (const field of fields) {
    if (field.name === 'company_id' || field.type === 'one2many') continue;
    if (!field.required && field.sample === undefined && !uniqueColumns.has(field.name)) continue;
    vals.push(factoryValue(field, model.name, tech));
  }
  const company = model.company;
  return {
    method: `make_${shortName(model.name, tech)}`,
    vals,
    companyField: company === undefined ? undefined : company === 'own' ? 'own' : { via: company.related.split('.')[0]! },
  };
}

function factoryValue(field: FieldIR, model: string, tech: string): FactoryIR['vals'][number] {
  const { name } = field;
  if (field.sample !== undefined) return { field: name, expr: pyLiteral(field.sample) };
  switch (field.type) {
    case 'char':
    case 'text':
      return { field: name, expr: `f'${name}_{n}'` };
    case 'selection':
      return { field: name, expr: pyString(String(field.defaultValue ?? field.selectionKeys![0])) };
    case 'boolean':
      return { field: name, expr: 'False' };
    case 'integer':
      return { field: name, expr: 'n' };
    case 'float':
    case 'monetary':
      return { field: name, expr: '1.0' };
    case 'date':
      return { field: name, expr: 'fields.Date.today()' };
    case 'datetime':
      return { field: name, expr: 'fields.Datetime.now()' };
    case 'json':
      return { field: name, expr: '{}' };
    case 'many2one': {
      const comodel = field.comodel!;
      if (comodel.startsWith(`${tech.replace(/_/g, '.')}.`)) {
        const method = `make_${shortName(comodel, tech)}`;
        return { field: name, expr: `cls.${method}(company=company).id`, viaFactory: method };
      }
      const external = EXTERNAL_FACTORIES[comodel];
      if (!external) throw new Error(`internal: ${model}.${name}: no test factory for ${comodel} (spec/generation.ts refuses this)`);
      return { field: name, expr: external };
    }
    default:
      return assertNever(field.type, `${model}.${name}`);
  }
}

/** The module that defines each extendable model (its ir.model XML id lives there). */
const EXTENDABLE_MODEL_MODULES: Record<string, string> = {
  'sale.order': 'sale',
  'sale.order.line': 'sale',
  'sale.order.template': 'sale_management',
  'account.move': 'account',
};

/** Minimal valid values of the Odoo models the spec extends, for the generated tests. */
export const EXTENDED_MODEL_BASE_VALS: Record<string, FactoryIR['vals']> = {
  'sale.order.template': [
    { field: 'name', expr: "f'Plan {n}'" },
    { field: 'company_id', expr: 'company.id' },
  ],
  'sale.order': [
    { field: 'partner_id', expr: EXTERNAL_FACTORIES['res.partner']! },
    { field: 'company_id', expr: 'company.id' },
  ],
  'account.move': [
    { field: 'move_type', expr: "'out_invoice'" },
    { field: 'partner_id', expr: EXTERNAL_FACTORIES['res.partner']! },
    { field: 'company_id', expr: 'company.id' },
  ],
  'sale.order.line': [
    { field: 'order_id', expr: EXTERNAL_FACTORIES['sale.order']! },
    { field: 'product_id', expr: EXTERNAL_FACTORIES['product.product']! },
    { field: 'product_uom_qty', expr: '1' },
  ],
};

function extensionFactory(model: string, fields: FieldIR[], constraints: ConstraintSpec[], tech: string): FactoryIR {
  const base = EXTENDED_MODEL_BASE_VALS[model];
  if (!base) throw new Error(`internal: no test factory for extended model ${model} (spec/semantic.ts refuses this)`);
  // Added fields that are required or part of a unique constraint need a value, or NULLs never collide.
  const uniqueColumns = new Set(constraints.flatMap((c) => c.unique ?? []));
  const added = fields
    .filter((f) => f.required || f.sample !== undefined || uniqueColumns.has(f.name))
    .map((f) => factoryValue(f, model, tech));
  return { method: `make_${shortName(model, tech)}`, vals: [...base, ...added] };
}

function buildMenus(spec: Spec, models: ModelIR[]): MenuIR[] {
  const groupRefs = (refs: string[] | undefined) => refs ?? [];
  const { root, sections } = spec.module.menus;
  const menus: MenuIR[] = [{ xmlid: 'menu_root', name: root.name, sequence: root.sequence, groupRefs: groupRefs(root.groups) }];
  for (const s of sections) {
    menus.push({ xmlid: `menu_${s.id}`, name: s.name, sequence: s.sequence, parentXmlid: 'menu_root', groupRefs: groupRefs(s.groups) });
  }
  for (const m of models) {
    const specModel = spec.module.models.find((x) => x.name === m.name)!;
    if (!specModel.menu || !m.views) continue;
    menus.push({
      xmlid: `menu_${m.shortName}`,
      name: specModel.menu.name,
      sequence: specModel.menu.sequence,
      parentXmlid: `menu_${specModel.menu.section}`,
      actionXmlid: m.views.actionXmlid,
      groupRefs: [],
    });
  }
  return menus;
}

// ---------------------------------------------------------------------------------------------- catalog

function buildCatalog(valid: ValidSpec, specFile: string): CatalogIR {
  const { spec, locate } = valid;
  const { services, metrics, plans } = spec.catalog;
  const serviceXmlid = (code: string) => `service_${code}`;
  const metricXmlid = (code: string) => `metric_${code}`;
  const productXmlid = (code: string) => `product_${xmlidPart(code)}`;
  const serviceByCode = new Map(services.map((s) => [s.code, s]));

  const products = new Map<string, ProductIR>();
  const addProduct = (code: string, name: string, listPrice: string) => {
    if (!products.has(code)) products.set(code, { xmlid: productXmlid(code), code, name, listPrice });
  };

  const planIRs = plans.map((plan, p) => {
    const service = serviceByCode.get(plan.service)!;
    addProduct(plan.product.code, plan.product.name, plan.amount);
    const planXmlid = `plan_${plan.code}`;
    const charges: ChargeIR[] = plan.charges.map((charge, c) => {
      addProduct(charge.product.code, charge.product.name, '0');
      return {
        xmlid: `charge_${plan.code}_${charge.code}`,
        code: charge.code,
        planXmlid,
        serviceXmlid: serviceXmlid(plan.service),
        metricXmlid: metricXmlid(charge.metric),
        metricCode: charge.metric,
        productXmlid: productXmlid(charge.product.code),
        model: charge.model,
        properties: charge.properties,
        filters: (charge.filters ?? []).map((filter) => ({
          values: filter.values,
          properties: filter.properties,
          ...(filter.invoice_display_name ? { invoice_display_name: filter.invoice_display_name } : {}),
        })),
        invoiceDisplayName: charge.invoice_display_name,
        lineSequence: c + 2,
        examples: (charge.examples ?? []).map((example, e) => ({
          units: example.units,
          eventsCount: example.events_count,
          eventValues: example.event_values,
          amount: example.amount,
          where: whereIs(locate.at(['catalog', 'plans', p, 'charges', c, 'examples', e], ''), specFile),
        })),
      };
    });
    return {
      xmlid: planXmlid,
      code: plan.code,
      name: plan.name,
      serviceXmlid: serviceXmlid(plan.service),
      interval: plan.interval,
      amount: plan.amount,
      payInAdvance: plan.pay_in_advance ?? false,
      billChargesMonthly: plan.bill_charges_monthly ?? false,
      trialPeriod: plan.trial_period ?? 0,
      minimumCommitment: plan.minimum_commitment?.amount ?? '0',
      ...(plan.minimum_commitment?.invoice_display_name ? { commitmentDisplayName: plan.minimum_commitment.invoice_display_name } : {}),
      usageThresholds: (plan.usage_thresholds ?? []).map((threshold) => ({
        amount_cents: toSubunits(threshold.amount, currencyExponent(service.currency)!),
        recurring: threshold.recurring ?? false,
        threshold_display_name: threshold.threshold_display_name ?? null,
      })),
      currency: service.currency,
      currencyExponent: currencyExponent(service.currency)!,
      productXmlid: productXmlid(plan.product.code),
      charges,
    };
  });

  return {
    currencies: [...new Set(services.map((s) => s.currency))].sort().map((code) => ({ code, ref: `base.${code}` })),
    services: services.map((s) => ({
      xmlid: serviceXmlid(s.code),
      code: s.code,
      name: s.name,
      kind: s.kind,
      currency: s.currency,
      currencyRef: `base.${s.currency}`,
      accountIdLabel: s.account_id?.label,
      accountIdPattern: s.account_id?.pattern,
      unknownMetric: s.events?.unknown_metric ?? 'reject',
      unknownSubscription: s.events?.unknown_subscription ?? 'reject',
      billingMode: s.billing?.mode ?? 'live',
      cutoverPeriods: s.billing?.cutover_periods ?? 2,
      invoiceGracePeriod: s.billing?.invoice_grace_period ?? 0,
      webhooks: (s.webhooks ?? []).map((w) => ({
        xmlid: `webhook_endpoint_${s.code}_${w.code}`,
        code: w.code,
        url: w.url,
        eventTypes: w.event_types ?? null,
        signatureAlgorithm: w.signature_algorithm ?? 'jwt',
      })),
    })),
    metrics: metrics.map((m) => ({
      xmlid: metricXmlid(m.code),
      code: m.code,
      name: m.name,
      description: m.description,
      serviceXmlid: serviceXmlid(m.service),
      aggregation: m.aggregation,
      fieldName: m.field_name,
      recurring: m.recurring ?? false,
      filters: m.filters ?? null,
    })),
    products: [...products.values()],
    plans: planIRs,
  };
}

function whereIs(d: Diagnostic, specFile: string): string {
  return `${specFile}:${d.line}:${d.column}`;
}

/** A decimal string as an integer of the currency's subunits (the validator refused extra decimals). */
function toSubunits(amount: string, exponent: number): number {
  const [whole, fraction = ''] = amount.split('.');
  return Number(BigInt(whole + fraction.padEnd(exponent, '0').slice(0, exponent)));
}

function assertNever(type: 'one2many', where: string): never {
  throw new Error(`internal: ${where}: factories never set ${type} fields`);
}
