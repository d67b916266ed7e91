// The spec as written in YAML, after schema validation (snake_case as in the file).

export type Decimal = string;

export interface Spec {
  spec_version: 1;
  module: ModuleSpec;
  catalog: CatalogSpec;
}

export interface ModuleSpec {
  technical_name: string;
  name: string;
  version: string;
  summary: string;
  author: string;
  website?: string;
  license: string;
  category?: string;
  depends: string[];
  security: {
    privilege: { name: string; category: string };
    groups: GroupSpec[];
  };
  menus: { root: MenuEntrySpec; sections: (MenuEntrySpec & { id: string })[] };
  models: ModelSpec[];
  extensions?: ExtensionSpec[];
  crons?: CronSpec[];
  webhooks: WebhookSettingsSpec;
  api: ApiSpec;
}

export interface ApiSpec {
  base_path: string;
  events_batch_limit: number;
  max_body_bytes: number;
  /**
   * `{name}` in a path is one segment; `{name:path}` may hold slashes (a transaction id sent
   * URL-encoded arrives decoded). `writes`: a GET whose handler writes (a portal access token)
   * runs on a read-write cursor.
   */
  routes: { method: 'GET' | 'POST' | 'PUT' | 'DELETE'; path: string; handler: string; writes?: boolean }[];
}

export interface GroupSpec {
  id: string;
  name: string;
  comment?: string;
  implies?: string[];
  include_admin?: boolean;
}

export interface MenuEntrySpec {
  name: string;
  sequence: number;
  groups?: string[];
}

export interface ModelSpec {
  name: string;
  description: string;
  rec_name?: string;
  order?: string;
  company?: 'own' | { related: string; stored?: boolean };
  /** false: no create/write uid and date columns (append-only, high-volume tables). */
  log_access?: boolean;
  fields: FieldSpec[];
  constraints?: ConstraintSpec[];
  indexes?: { name: string; columns: string[] }[];
  access: Record<string, string>;
  views?: {
    list: string[];
    search: { fields: string[]; group_by?: string[]; filters?: { name: string; label: string; domain: string }[] };
    form_buttons?: ButtonSpec[];
    list_buttons?: ButtonSpec[];
    /** Odoo's pivot and graph views (reporting): rows/cols group the records, measures add up. */
    pivot?: { rows: string[]; cols?: string[]; measures: string[] };
    graph?: { type: 'bar' | 'line' | 'pie'; groupby: string[]; measures: string[] };
  };
  menu?: { section: string; sequence: number; name: string };
}

export type FieldType =
  | 'char'
  | 'text'
  | 'boolean'
  | 'integer'
  | 'float'
  | 'monetary'
  | 'date'
  | 'datetime'
  | 'selection'
  | 'many2one'
  | 'one2many'
  | 'json';

export interface FieldSpec {
  name: string;
  type: FieldType;
  string?: string;
  help?: string;
  required?: boolean;
  readonly?: boolean;
  index?: boolean;
  translate?: boolean;
  default?: string | boolean | number;
  comodel?: string;
  inverse?: string;
  ondelete?: 'cascade' | 'restrict' | 'set null';
  selection?: [string, string][];
  /** [precision, scale], or 'exact' for numeric without a fixed scale. */
  digits?: [number, number] | 'exact';
  currency_field?: string;
  groups?: string[];
  copy?: boolean;
  sample?: string | number | boolean | Record<string, unknown>;
}

export interface ConstraintSpec {
  name: string;
  unique?: string[];
  /** With unique: unique only among the rows where each field has this value (a partial unique index). */
  where?: Record<string, string | number | boolean>;
  check?: string;
  message: string;
  violated_by?: Record<string, unknown>;
}

export interface CatalogSpec {
  services: ServiceSpec[];
  metrics: MetricSpec[];
  plans: PlanSpec[];
}

export type ServiceKind = 'cloud' | 'helpdesk' | 'maps' | 'custom_app' | 'membership';

export interface ServiceSpec {
  code: string;
  name: string;
  kind: ServiceKind;
  currency: string;
  account_id?: { label: string; pattern?: string };
  /** What the API does with an event whose metric or subscription does not exist (yet). */
  events?: { unknown_metric?: UnknownPolicy; unknown_subscription?: UnknownPolicy };
  webhooks?: { code: string; url: string; event_types?: string[]; signature_algorithm?: SignatureAlgorithm }[];
  /** Who bills the service: Odoo (live) or Lago, with Odoo rating alongside (shadow). */
  billing?: { mode?: BillingMode; cutover_periods?: number; invoice_grace_period?: number };
}

/** shadow: Odoo ingests and rates for reconciliation, posts no invoice; live: Odoo bills. */
export type BillingMode = 'shadow' | 'live';

/** reject: 422 at once (the default); accept: Lago's behaviour, stored and reported in events.errors. */
export type UnknownPolicy = 'reject' | 'accept';

/** X-Lago-Signature as Lago writes it: an RS256 JWT (Lago's default) or base64 HMAC-SHA256 of the raw body. */
export type SignatureAlgorithm = 'jwt' | 'hmac';

export type AggregationType = 'count' | 'sum' | 'max' | 'unique_count' | 'latest' | 'weighted_sum';

export interface MetricSpec {
  code: string;
  service: string;
  name: string;
  description?: string;
  aggregation: AggregationType;
  field_name?: string;
  recurring?: boolean;
  filters?: Record<string, string[]>;
}

export type Interval = 'weekly' | 'monthly' | 'quarterly' | 'semiannual' | 'yearly';

export interface PlanSpec {
  code: string;
  service: string;
  name: string;
  interval: Interval;
  amount: Decimal;
  pay_in_advance?: boolean;
  bill_charges_monthly?: boolean;
  trial_period?: number;
  minimum_commitment?: { amount: Decimal; invoice_display_name?: string };
  usage_thresholds?: UsageThresholdSpec[];
  product: ProductSpec;
  charges: ChargeSpec[];
}

/** Lago's usage threshold (progressive billing) of a plan. */
export interface UsageThresholdSpec {
  amount: Decimal;
  recurring?: boolean;
  threshold_display_name?: string;
}

export interface ProductSpec {
  code: string;
  name: string;
}

export type ChargeModel = 'standard' | 'graduated' | 'volume' | 'package' | 'percentage' | 'graduated_percentage';

export interface ChargeSpec {
  code: string;
  metric: string;
  model: ChargeModel;
  product: ProductSpec;
  invoice_display_name?: string;
  properties: Record<string, unknown>;
  filters?: ChargeFilterSpec[];
  examples?: PricingExampleSpec[];
}

/** Lago's charge filter: events whose properties match `values` are priced with `properties`. */
export interface ChargeFilterSpec {
  values: Record<string, string[]>;
  properties: Record<string, unknown>;
  invoice_display_name?: string;
}

export interface PricingExampleSpec {
  units: Decimal;
  events_count?: number;
  event_values?: Decimal[];
  amount: Decimal;
}

export interface TierSpec {
  from_value: number;
  to_value: number | null;
  per_unit_amount?: Decimal;
  flat_amount: Decimal;
  rate?: Decimal;
}

export interface ButtonSpec {
  method: string;
  label: string;
  groups?: string[];
  confirm?: string;
}

export interface ExtensionSpec {
  model: string;
  fields: FieldSpec[];
  constraints?: ConstraintSpec[];
  form?: { inherit: string; buttons?: ButtonSpec[]; page?: { title: string; fields: string[] } };
}

export interface CronSpec {
  id: string;
  name: string;
  model: string;
  method: string;
  every: { number: number; unit: 'minutes' | 'hours' | 'days' | 'weeks' | 'months' };
}

export interface WebhookSettingsSpec {
  max_attempts: number;
  timeout_seconds: number;
  base_delay_seconds: number;
  max_delay_seconds: number;
  batch_size: number;
}
