// An Odoo serving fusion_billing for API scenarios and benchmarks: the billing database (see
// billing-database.ts), a server, an admin API key for JSON-2, and service keys obtained the way
// an administrator's script would: `action_generate_api_key` over JSON-2.
import { OdooClient } from '../clients/json2.ts';
import { LagoClient } from '../clients/lago.ts';
import { prepareBillingDatabase, type BillingDatabaseOptions } from './billing-database.ts';
import type { HarnessRuntime } from './harness-runtime.ts';
import { createRuntime, type CreateRuntimeOptions } from './index.ts';
import type { OdooServer, ProgressCallback } from './types.ts';

export interface BillingServerOptions {
  db?: string;
  /** 0: threaded server (default); more: prefork workers. */
  workers?: number;
  /** Extra odoo-bin arguments for the server. */
  serverArgs?: string[];
  /** --db-filter on the server (default true); see StartServerOptions.dbFilter. */
  dbFilter?: boolean;
  /** Services whose API keys are generated; default the catalog's. */
  services?: string[];
  runtime?: CreateRuntimeOptions;
  database?: Omit<BillingDatabaseOptions, 'onStep'>;
  progress?: ProgressCallback;
  /** Each setup step's name and wall time. */
  onStep?: (step: string, ms: number) => void;
}

export interface BillingServer {
  runtime: HarnessRuntime;
  server: OdooServer;
  db: string;
  /** Server mode as odoo-bin runs it: "threaded" or "--workers N", and the database selection. */
  mode: string;
  adminKey: string;
  /** JSON-2 as admin. */
  odoo: OdooClient;
  /** Clear API key per service code. */
  serviceKeys: Record<string, string>;
  /** fusion.billing.service id per code. */
  serviceIds: Record<string, number>;
  lago(service: string): LagoClient;
  stop(): Promise<void>;
}

const CATALOG_SERVICES = ['nexacloud', 'nexadesk', 'nexamaps', 'fieldapp', 'membership'];

export async function startBillingServer(options: BillingServerOptions = {}): Promise<BillingServer> {
  const onStep = options.onStep ?? (() => {});
  const timed = async <T>(step: string, work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const result = await work();
    onStep(step, performance.now() - started);
    return result;
  };
  const db = options.db ?? 'fusion_api';
  const workers = options.workers ?? 0;
  const runtime = createRuntime(options.runtime);
  try {
    await timed('postgres start', () => runtime.start(options.progress));
    await prepareBillingDatabase(runtime, db, { ...options.database, onStep });
    const server = await timed(`odoo server start (${workers ? `--workers ${workers}` : 'threaded'})`, () =>
      runtime.startServer(db, { workers, extraArgs: options.serverArgs, dbFilter: options.dbFilter }),
    );
    const adminKey = await timed('admin API key (odoo-bin shell)', () => runtime.createApiKey(db, 'admin'));
    const odoo = new OdooClient({ baseUrl: server.baseUrl, db, apiKey: adminKey });
    // As a deployment sets it: the URL customers and applications reach the server at (portal
    // links, invoice PDFs and the JWT issuer of webhooks are built from it).
    await odoo.call('ir.config_parameter', 'set_param', { key: 'web.base.url', value: server.baseUrl });
    await odoo.call('ir.config_parameter', 'set_param', { key: 'web.base.url.freeze', value: 'True' });
    const { serviceKeys, serviceIds } = await timed('service API keys (JSON-2)', () =>
      generateServiceKeys(odoo, options.services ?? CATALOG_SERVICES),
    );
    return {
      runtime,
      server,
      db,
      mode: `${workers ? `--workers ${workers}` : 'threaded'}, ${options.dbFilter === false ? `-d ${db} without --db-filter` : `--db-filter=^${db}$`}`,
      adminKey,
      odoo,
      serviceKeys,
      serviceIds,
      lago: (service) => {
        const apiKey = serviceKeys[service];
        if (!apiKey) throw new Error(`no API key generated for service ${service}`);
        return new LagoClient({ baseUrl: server.baseUrl, apiKey });
      },
      stop: () => runtime.stop(),
    };
  } catch (error) {
    await runtime.stop();
    throw error;
  }
}

async function generateServiceKeys(
  odoo: OdooClient,
  codes: string[],
): Promise<{ serviceKeys: Record<string, string>; serviceIds: Record<string, number> }> {
  const services = await odoo.searchRead<{ id: number; code: string }>('fusion.billing.service', [['code', 'in', codes]], ['code']);
  const serviceKeys: Record<string, string> = {};
  const serviceIds: Record<string, number> = {};
  for (const service of services) {
    const action = await odoo.call<{ fusion_api_key?: string }>('fusion.billing.service', 'action_generate_api_key', { ids: [service.id] });
    if (!action.fusion_api_key) throw new Error(`action_generate_api_key on ${service.code} returned no fusion_api_key`);
    serviceKeys[service.code] = action.fusion_api_key;
    serviceIds[service.code] = service.id;
  }
  const missing = codes.filter((code) => !serviceKeys[code]);
  if (missing.length) throw new Error(`services not found: ${missing.join(', ')}`);
  return { serviceKeys, serviceIds };
}
