// The one typed intermediate model between the spec and every emitter. Every name an emitter needs
// (Python class and file names, SQL object names, XML ids, menu parents, data-file order) is resolved
// here, so emitters only lay things out.
import type { AggregationType, BillingMode, ChargeModel, FieldType, Interval, ServiceKind, SignatureAlgorithm, UnknownPolicy } from '../spec/types.ts';

export interface BillingIR {
  source: { specFile: string };
  module: ModuleIR;
  catalog: CatalogIR;
}

export interface ModuleIR {
  technicalName: string;
  name: string;
  version: string;
  summary: string;
  author: string;
  website?: string;
  license: string;
  category?: string;
  depends: string[];
  /** PyPI names the hand-written Python imports beyond Odoo's own (manifest external_dependencies). */
  pythonDependencies: string[];
  privilege: { xmlid: string; name: string; categoryRef: string };
  groups: GroupIR[];
  models: ModelIR[];
  extensions: ExtensionIR[];
  menus: MenuIR[];
  api: ApiIR;
  webhooks: { maxAttempts: number; timeoutSeconds: number; baseDelaySeconds: number; maxDelaySeconds: number; batchSize: number };
  crons: CronIR[];
  /** Manifest `data`, in load order. */
  dataFiles: string[];
}

export interface GroupIR {
  xmlid: string;
  ref: string;
  name: string;
  comment?: string;
  sequence: number;
  impliedRefs: string[];
  includeAdmin: boolean;
  /** This group and every module group it implies, transitively. */
  effectiveGroupIds: string[];
}

export interface FieldIR {
  name: string;
  type: FieldType;
  /** Odoo field class: Char, Many2one, … */
  pyClass: string;
  /** Keyword arguments as [name, Python literal], in a stable order. */
  kwargs: [string, string][];
  required: boolean;
  comodel?: string;
  sample?: unknown;
  defaultValue?: unknown;
  selectionKeys?: string[];
}

export interface ConstraintIR {
  /** Class attribute name (Odoo requires a leading underscore); the SQL name is `<table>_<name>`. */
  attr: string;
  sqlName: string;
  definition: string;
  message: string;
  unique?: string[];
  /** A partial unique index (models.UniqueIndex) rather than a table constraint. */
  isIndex: boolean;
  /** Field values under which the unique combination applies (the index's WHERE). */
  where?: Record<string, string | number | boolean>;
  violatedBy?: Record<string, unknown>;
}

export interface IndexIR {
  attr: string;
  sqlName: string;
  definition: string;
}

export interface AccessIR {
  xmlid: string;
  groupRef: string;
  groupId: string;
  read: boolean;
  write: boolean;
  create: boolean;
  unlink: boolean;
}

export interface ViewsIR {
  listXmlid: string;
  formXmlid: string;
  searchXmlid: string;
  actionXmlid: string;
  actionName: string;
  list: string[];
  /** Form: scalar fields in the main group, one2many fields as notebook pages. */
  formFields: string[];
  formPages: { field: string; title: string }[];
  search: string[];
  filters: { name: string; label: string; domain: string }[];
  groupBy: { field: string; label: string }[];
  formButtons: ButtonIR[];
  listButtons: ButtonIR[];
  pivot?: { xmlid: string; rows: string[]; cols: string[]; measures: string[] };
  graph?: { xmlid: string; type: 'bar' | 'line' | 'pie'; groupby: string[]; measures: string[] };
  /** The action's view_mode: list,form and, when declared, pivot and graph. */
  viewMode: string;
  file: string;
}

export interface ModelIR {
  name: string;
  /** `fusion.billing.account.link` → `account_link`. */
  shortName: string;
  className: string;
  pyModule: string;
  table: string;
  modelXmlid: string;
  description: string;
  recName?: string;
  order?: string;
  company?: { kind: 'own' } | { kind: 'related'; path: string; stored: boolean };
  /** Odoo's _log_access: false drops the create/write uid and date columns. */
  logAccess: boolean;
  fields: FieldIR[];
  constraints: ConstraintIR[];
  indexes: IndexIR[];
  access: AccessIR[];
  rule?: { xmlid: string; name: string; domain: string };
  views?: ViewsIR;
  factory: FactoryIR;
}

export interface ButtonIR {
  method: string;
  label: string;
  groupRefs: string;
  confirm?: string;
}

export interface ExtensionIR {
  model: string;
  /** Inherited form view with buttons and a page of the added fields, when the spec asks for one. */
  formView?: { xmlid: string; inheritRef: string; buttons: ButtonIR[]; page?: { title: string; fields: string[] } };
  className: string;
  pyModule: string;
  table: string;
  fields: FieldIR[];
  constraints: ConstraintIR[];
  factory: FactoryIR;
}

/** How the generated Odoo tests build a valid record of a model. */
export interface FactoryIR {
  method: string;
  /** Values as Python expressions; `n` is a per-record counter, `company` the target company. */
  vals: { field: string; expr: string; viaFactory?: string }[];
  companyField?: 'own' | { via: string };
}

export interface MenuIR {
  xmlid: string;
  name: string;
  sequence: number;
  parentXmlid?: string;
  actionXmlid?: string;
  groupRefs: string[];
}

export interface CatalogIR {
  currencies: { code: string; ref: string }[];
  services: ServiceIR[];
  metrics: MetricIR[];
  products: ProductIR[];
  plans: PlanIR[];
}

export interface ServiceIR {
  xmlid: string;
  code: string;
  name: string;
  kind: ServiceKind;
  currency: string;
  currencyRef: string;
  accountIdLabel?: string;
  accountIdPattern?: string;
  unknownMetric: UnknownPolicy;
  unknownSubscription: UnknownPolicy;
  billingMode: BillingMode;
  cutoverPeriods: number;
  invoiceGracePeriod: number;
  webhooks: { xmlid: string; code: string; url: string; eventTypes: string[] | null; signatureAlgorithm: SignatureAlgorithm }[];
}

export interface MetricIR {
  xmlid: string;
  code: string;
  name: string;
  description?: string;
  serviceXmlid: string;
  aggregation: AggregationType;
  fieldName?: string;
  recurring: boolean;
  filters: Record<string, string[]> | null;
}

export interface ProductIR {
  xmlid: string;
  code: string;
  name: string;
  /** Decimal string; the plan base fee, or 0 for metered products (rated usage sets the price). */
  listPrice: string;
}

export interface PlanIR {
  xmlid: string;
  code: string;
  name: string;
  serviceXmlid: string;
  interval: Interval;
  amount: string;
  payInAdvance: boolean;
  billChargesMonthly: boolean;
  trialPeriod: number;
  /** Lago's minimum commitment per period (decimal string), or "0" for none. */
  minimumCommitment: string;
  commitmentDisplayName?: string;
  /** Lago's usage thresholds as the plan stores them: amounts in the currency's subunits. */
  usageThresholds: { amount_cents: number; recurring: boolean; threshold_display_name: string | null }[];
  currency: string;
  currencyExponent: number;
  productXmlid: string;
  charges: ChargeIR[];
}

export interface ChargeIR {
  xmlid: string;
  code: string;
  planXmlid: string;
  serviceXmlid: string;
  metricXmlid: string;
  metricCode: string;
  productXmlid: string;
  model: ChargeModel;
  properties: Record<string, unknown>;
  /** Lago's charge filters as the module stores them (fusion.billing.charge.filters). */
  filters: { values: Record<string, string[]>; properties: Record<string, unknown>; invoice_display_name?: string }[];
  invoiceDisplayName?: string;
  /** Position of the charge's line on the plan's quotation template (the base fee is line 1). */
  lineSequence: number;
  examples: PricingExampleIR[];
}

export interface PricingExampleIR {
  units: string;
  eventsCount?: number;
  eventValues?: string[];
  amount: string;
  /** spec file:line:column of the example, for failure messages. */
  where: string;
}

export interface ApiIR {
  basePath: string;
  eventsBatchLimit: number;
  maxBodyBytes: number;
  routes: RouteIR[];
  /** Per path, the methods it does not serve: answered with Lago's 405 body instead of Odoo's HTML page. */
  notAllowed: { odooPath: string; methods: string[]; methodName: string }[];
  /** Every other path under the base path: Lago's JSON 404 instead of Odoo's HTML page. */
  unknownPath: { odooPath: string; methods: string[] };
}

export interface RouteIR {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path as the spec writes it (`/customers/{external_customer_id}/current_usage`), with the base path. */
  path: string;
  /** Werkzeug route (`/api/v1/customers/<string:external_customer_id>/current_usage`). */
  odooPath: string;
  handler: string;
  /** Controller method name: unique per route. */
  methodName: string;
  /** Python literal: GET routes run on a read-only cursor (Odoo 19 may send them to a replica). */
  readonly: 'True' | 'False';
  pathParams: string[];
}

export interface CronIR {
  xmlid: string;
  name: string;
  modelXmlid: string;
  model: string;
  method: string;
  intervalNumber: number;
  intervalType: string;
}
