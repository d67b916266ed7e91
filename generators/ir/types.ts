// The one typed intermediate model between the spec and every emitter. Every name an emitter needs
// (Python class and file names, SQL object names, XML ids, menu parents, data-file order) is resolved
// here, so emitters only lay things out. Every emitter reads the same IR, so it is read-only all the way
// down, and buildIR freezes it: no emitter can change what another reads.
import type {
  AggregationType,
  BillingMode,
  ChargeModel,
  FieldType,
  Interval,
  ServiceKind,
  SignatureAlgorithm,
  UnknownPolicy,
} from '../spec/types.ts';

export interface BillingIR {
  readonly source: { readonly specFile: string };
  readonly module: ModuleIR;
  readonly catalog: CatalogIR;
}

export interface ModuleIR {
  readonly technicalName: string;
  /** The prefix of the module's own model names: `fusion_billing` → `fusion.billing`. */
  readonly modelPrefix: string;
  readonly name: string;
  readonly version: string;
  readonly summary: string;
  readonly author: string;
  readonly website?: string;
  readonly license: string;
  readonly category?: string;
  readonly depends: readonly string[];
  /** PyPI names the hand-written Python imports beyond Odoo's own (manifest external_dependencies). */
  readonly pythonDependencies: readonly string[];
  readonly privilege: { readonly xmlid: string; readonly name: string; readonly categoryRef: string };
  readonly groups: readonly GroupIR[];
  readonly models: readonly ModelIR[];
  readonly extensions: readonly ExtensionIR[];
  readonly menus: readonly MenuIR[];
  readonly api: ApiIR;
  readonly webhooks: {
    readonly maxAttempts: number;
    readonly timeoutSeconds: number;
    readonly baseDelaySeconds: number;
    readonly maxDelaySeconds: number;
    readonly batchSize: number;
  };
  readonly crons: readonly CronIR[];
  /** Manifest `data`, in load order. */
  readonly dataFiles: readonly string[];
  /** The QWeb PDF report of the reconciliation model, when the spec has it (the hand-written Python fills it). */
  readonly reconciliationReport?: { readonly model: string; readonly modelXmlid: string; readonly file: string };
  /** What each test user may do with each model: the generated access tests check it (see access.ts). */
  readonly accessMatrix: AccessMatrixIR;
  /** What the generated constraint tests look for and try to violate (see constraints.ts). */
  readonly constraintCases: ConstraintCasesIR;
}

export interface GroupIR {
  readonly xmlid: string;
  readonly ref: string;
  readonly name: string;
  readonly comment?: string;
  readonly sequence: number;
  readonly impliedRefs: readonly string[];
  readonly includeAdmin: boolean;
  /** This group and every module group it implies, transitively. */
  readonly effectiveGroupIds: readonly string[];
}

export interface FieldIR {
  readonly name: string;
  readonly type: FieldType;
  /** Odoo field class: Char, Many2one, … */
  readonly pyClass: string;
  /** Keyword arguments as [name, Python literal], in a stable order. */
  readonly kwargs: readonly (readonly [string, string])[];
  readonly required: boolean;
  readonly comodel?: string;
  readonly sample?: unknown;
  readonly defaultValue?: unknown;
  readonly selectionKeys?: readonly string[];
}

export interface ConstraintIR {
  /** Class attribute name (Odoo requires a leading underscore); the SQL name is `<table>_<name>`. */
  readonly attr: string;
  readonly sqlName: string;
  readonly definition: string;
  readonly message: string;
  readonly unique?: readonly string[];
  /** A partial unique index (models.UniqueIndex) rather than a table constraint. */
  readonly isIndex: boolean;
  /** Field values under which the unique combination applies (the index's WHERE). */
  readonly where?: Readonly<Record<string, string | number | boolean>>;
  readonly violatedBy?: Readonly<Record<string, unknown>>;
}

export interface IndexIR {
  readonly attr: string;
  readonly sqlName: string;
  readonly definition: string;
}

export interface AccessIR {
  readonly xmlid: string;
  readonly groupRef: string;
  readonly groupId: string;
  readonly read: boolean;
  readonly write: boolean;
  readonly create: boolean;
  readonly unlink: boolean;
}

export type Operation = 'read' | 'write' | 'create' | 'unlink';

export type RightsIR = { readonly [operation in Operation]: boolean };

export interface AccessMatrixIR {
  /** The users the access tests log in as: one per module group, then an internal user in none. */
  readonly users: readonly TestUserIR[];
  /** Per model, in the module's model order. */
  readonly models: readonly ModelRightsIR[];
}

export interface TestUserIR {
  /** The user's key in the tests: its group's XML id, or `internal`. */
  readonly key: string;
  readonly login: string;
  /** new_test_user's `groups`: base.group_user and the module group. */
  readonly groups: string;
}

export interface ModelRightsIR {
  readonly model: string;
  /** Effective rights (implied groups included) by user key, in the users' order. */
  readonly rights: Readonly<Record<string, RightsIR>>;
  /** The first group user who may read the model: the company-isolation test searches as them. */
  readonly reader: string | undefined;
}

export interface ConstraintCasesIR {
  /** SQL names of the table constraints (models, then extensions). */
  readonly constraintNames: readonly string[];
  /** SQL names of the indexes: the models' indexes, then the partial unique indexes. */
  readonly indexNames: readonly string[];
  readonly uniqueTests: readonly UniqueCaseIR[];
  readonly checkTests: readonly CheckCaseIR[];
}

/** A unique constraint or index: a copy of a first record's columns must be refused. */
export interface UniqueCaseIR {
  /** The test method's suffix: the SQL name without the module's prefix. */
  readonly testName: string;
  readonly model: string;
  readonly message: string;
  /** The test factory method that makes a valid record. */
  readonly factory: string;
  /** Columns copied from the first record: the unique ones and those of the index's WHERE. */
  readonly columns: readonly string[];
  readonly where: Readonly<Record<string, string | number | boolean>> | undefined;
  /** A char column of the constraint, to prove that changing it alone is accepted. */
  readonly controlColumn: string | undefined;
}

/** A check constraint: a record with the spec's violating values must be refused. */
export interface CheckCaseIR {
  readonly testName: string;
  readonly model: string;
  readonly message: string;
  readonly factory: string;
  readonly violatedBy: Readonly<Record<string, unknown>>;
}

export interface ViewsIR {
  readonly listXmlid: string;
  readonly formXmlid: string;
  readonly searchXmlid: string;
  readonly actionXmlid: string;
  readonly actionName: string;
  readonly list: readonly string[];
  /** Form: scalar fields in the main group, one2many fields as notebook pages. */
  readonly formFields: readonly string[];
  readonly formPages: readonly { readonly field: string; readonly title: string }[];
  readonly search: readonly string[];
  readonly filters: readonly { readonly name: string; readonly label: string; readonly domain: string }[];
  readonly groupBy: readonly { readonly field: string; readonly label: string }[];
  /** The search view's Archived filter: the model has an `active` field. */
  readonly archivedFilter: boolean;
  readonly formButtons: readonly ButtonIR[];
  readonly listButtons: readonly ButtonIR[];
  readonly pivot?: {
    readonly xmlid: string;
    readonly rows: readonly string[];
    readonly cols: readonly string[];
    readonly measures: readonly string[];
  };
  readonly graph?: {
    readonly xmlid: string;
    readonly type: 'bar' | 'line' | 'pie';
    readonly groupby: readonly string[];
    readonly measures: readonly string[];
  };
  /** The action's view_mode: list,form and, when declared, pivot and graph. */
  readonly viewMode: string;
  readonly file: string;
}

export interface ModelIR {
  readonly name: string;
  /** `fusion.billing.account.link` → `account_link`. */
  readonly shortName: string;
  readonly className: string;
  readonly pyModule: string;
  readonly table: string;
  readonly modelXmlid: string;
  readonly description: string;
  readonly recName?: string;
  readonly order?: string;
  readonly company?: { readonly kind: 'own' } | { readonly kind: 'related'; readonly path: string; readonly stored: boolean };
  /** Odoo's _log_access: false drops the create/write uid and date columns. */
  readonly logAccess: boolean;
  readonly fields: readonly FieldIR[];
  readonly constraints: readonly ConstraintIR[];
  readonly indexes: readonly IndexIR[];
  readonly access: readonly AccessIR[];
  readonly rule?: { readonly xmlid: string; readonly name: string; readonly domain: string };
  readonly views?: ViewsIR;
  readonly factory: FactoryIR;
}

export interface ButtonIR {
  readonly method: string;
  readonly label: string;
  readonly groupRefs: string;
  readonly confirm?: string;
}

export interface ExtensionIR {
  readonly model: string;
  /** Inherited form view with buttons and a page of the added fields, when the spec asks for one. */
  readonly formView?: {
    readonly xmlid: string;
    readonly inheritRef: string;
    readonly buttons: readonly ButtonIR[];
    readonly page?: { readonly title: string; readonly fields: readonly string[] };
  };
  readonly className: string;
  readonly pyModule: string;
  readonly table: string;
  readonly fields: readonly FieldIR[];
  readonly constraints: readonly ConstraintIR[];
  readonly factory: FactoryIR;
}

/** How the generated Odoo tests build a valid record of a model. */
export interface FactoryIR {
  readonly method: string;
  /** Values as Python expressions; `n` is a per-record counter, `company` the target company. */
  readonly vals: readonly { readonly field: string; readonly expr: string; readonly viaFactory?: string }[];
  readonly companyField?: 'own' | { readonly via: string };
}

export interface MenuIR {
  readonly xmlid: string;
  readonly name: string;
  readonly sequence: number;
  readonly parentXmlid?: string;
  readonly actionXmlid?: string;
  readonly groupRefs: readonly string[];
}

export interface CatalogIR {
  readonly currencies: readonly { readonly code: string; readonly ref: string }[];
  readonly services: readonly ServiceIR[];
  readonly metrics: readonly MetricIR[];
  readonly products: readonly ProductIR[];
  readonly plans: readonly PlanIR[];
}

export interface ServiceIR {
  readonly xmlid: string;
  readonly code: string;
  readonly name: string;
  readonly kind: ServiceKind;
  readonly currency: string;
  readonly currencyRef: string;
  readonly accountIdLabel?: string;
  readonly accountIdPattern?: string;
  readonly unknownMetric: UnknownPolicy;
  readonly unknownSubscription: UnknownPolicy;
  readonly billingMode: BillingMode;
  readonly cutoverPeriods: number;
  readonly invoiceGracePeriod: number;
  readonly webhooks: readonly WebhookEndpointIR[];
}

export interface WebhookEndpointIR {
  readonly xmlid: string;
  readonly code: string;
  readonly url: string;
  readonly eventTypes: readonly string[] | null;
  readonly signatureAlgorithm: SignatureAlgorithm;
}

export interface MetricIR {
  readonly xmlid: string;
  readonly code: string;
  readonly name: string;
  readonly description?: string;
  readonly serviceXmlid: string;
  readonly aggregation: AggregationType;
  readonly fieldName?: string;
  readonly recurring: boolean;
  readonly filters: Readonly<Record<string, readonly string[]>> | null;
}

export interface ProductIR {
  readonly xmlid: string;
  readonly code: string;
  readonly name: string;
  /** Decimal string; the plan base fee, or 0 for metered products (rated usage sets the price). */
  readonly listPrice: string;
}

export interface PlanIR {
  readonly xmlid: string;
  readonly code: string;
  readonly name: string;
  readonly serviceXmlid: string;
  readonly interval: Interval;
  readonly amount: string;
  readonly payInAdvance: boolean;
  readonly billChargesMonthly: boolean;
  readonly trialPeriod: number;
  /** Lago's minimum commitment per period (decimal string), or "0" for none. */
  readonly minimumCommitment: string;
  readonly commitmentDisplayName?: string;
  /** Lago's usage thresholds as the plan stores them: amounts in the currency's subunits. */
  readonly usageThresholds: readonly UsageThresholdIR[];
  readonly currency: string;
  readonly currencyExponent: number;
  readonly productXmlid: string;
  readonly charges: readonly ChargeIR[];
}

export interface UsageThresholdIR {
  readonly amount_cents: number;
  readonly recurring: boolean;
  readonly threshold_display_name: string | null;
}

export interface ChargeIR {
  readonly xmlid: string;
  readonly code: string;
  readonly planXmlid: string;
  readonly serviceXmlid: string;
  readonly metricXmlid: string;
  readonly metricCode: string;
  readonly productXmlid: string;
  readonly model: ChargeModel;
  readonly properties: Readonly<Record<string, unknown>>;
  /** Lago's charge filters as the module stores them (fusion.billing.charge.filters). */
  readonly filters: readonly ChargeFilterIR[];
  readonly invoiceDisplayName?: string;
  /** Position of the charge's line on the plan's quotation template (the base fee is line 1). */
  readonly lineSequence: number;
  readonly examples: readonly PricingExampleIR[];
}

export interface ChargeFilterIR {
  readonly values: Readonly<Record<string, readonly string[]>>;
  readonly properties: Readonly<Record<string, unknown>>;
  readonly invoice_display_name?: string;
}

export interface PricingExampleIR {
  readonly units: string;
  readonly eventsCount?: number;
  readonly eventValues?: readonly string[];
  readonly amount: string;
  /** spec file:line:column of the example, for failure messages. */
  readonly where: string;
}

export interface ApiIR {
  /** The controller's Python class name: `FusionBillingApi`. */
  readonly controllerClass: string;
  readonly basePath: string;
  readonly eventsBatchLimit: number;
  readonly maxBodyBytes: number;
  readonly routes: readonly RouteIR[];
  /** Per path, the methods it does not serve: answered with Lago's 405 body instead of Odoo's HTML page. */
  readonly notAllowed: readonly { readonly odooPath: string; readonly methods: readonly string[]; readonly methodName: string }[];
  /** The base path and every other path under it: Lago's JSON 404 instead of Odoo's HTML page. */
  readonly unknownPath: { readonly odooPaths: readonly string[]; readonly methods: readonly string[] };
}

export interface RouteIR {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path as the spec writes it (`/customers/{external_customer_id}/current_usage`), with the base path. */
  readonly path: string;
  /** Werkzeug route (`/api/v1/customers/<string:external_customer_id>/current_usage`). */
  readonly odooPath: string;
  readonly handler: string;
  /** Controller method name: unique per route. */
  readonly methodName: string;
  /** Python literal: GET routes run on a read-only cursor (Odoo 19 may send them to a replica). */
  readonly readonly: 'True' | 'False';
  readonly pathParams: readonly string[];
}

export interface CronIR {
  readonly xmlid: string;
  readonly name: string;
  readonly modelXmlid: string;
  readonly model: string;
  readonly method: string;
  readonly intervalNumber: number;
  readonly intervalType: string;
}
