// The database the API scenarios and benchmarks run against: a Canadian company in Toronto (ON,
// CAD) with sale_management, account, payment and l10n_ca, then fusion_billing (without its tests).
//
// Installing the dependencies takes about a minute; the result is cached as a pg_dump plus
// filestore under .harness/cache/, keyed by everything that shapes it, so that later runs only
// restore it (seconds) and install fusion_billing, whose code changes from run to run.
import { createHash } from 'node:crypto';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './local.ts';
import type { OdooRuntime } from './types.ts';

/** l10n_ca gives the Canadian chart, GST/HST/PST taxes and the provincial fiscal positions. */
export const BILLING_DEPENDENCIES = ['sale_management', 'account', 'payment', 'l10n_ca'];
export const BILLING_MODULE = 'fusion_billing';
export const DEFAULT_CACHE_DIR = join(REPO_ROOT, '.harness', 'cache');

// Bump when the recipe changes in a way the key below does not see.
const RECIPE_VERSION = 1;

// Before account and l10n_ca are installed: l10n_ca picks its chart from the company's country
// and its default sales tax from the company's province (ON → 13% HST, no province → 5% GST);
// the company's currency must be CAD before any journal exists.
const COMPANY_SETUP = `
company = env.ref('base.main_company')
env.ref('base.CAD').active = True
company.write({
    'name': 'NexaSystems Inc.',
    'street': '100 King Street West',
    'city': 'Toronto',
    'zip': 'M5X 1A9',
    'country_id': env.ref('base.ca').id,
    'state_id': env.ref('base.state_ca_on').id,
    'currency_id': env.ref('base.CAD').id,
})
env.ref('base.user_admin').tz = 'America/Toronto'
env.cr.commit()
print('COMPANY_READY', company.country_id.code, company.state_id.code, company.currency_id.name, flush=True)
`;

export interface BillingDatabaseOptions {
  /** Where cached templates live; default <repo>/.harness/cache. */
  cacheDir?: string;
  /** Ignore (and rebuild) a cached template. */
  refresh?: boolean;
  /** Called with each step's name and wall time. */
  onStep?: (step: string, ms: number) => void;
  /** What is installed on top of the dependencies; default fusion_billing (a baseline without it names others). */
  install?: string[];
}

export interface BillingDatabase {
  db: string;
  /** Whether the dependencies came from the cache. */
  fromCache: boolean;
}

/** Creates `db`: the cached (or freshly built) dependencies, then fusion_billing (or `install`) installed. */
export async function prepareBillingDatabase(
  runtime: OdooRuntime,
  db: string,
  options: BillingDatabaseOptions = {},
): Promise<BillingDatabase> {
  const onStep = options.onStep ?? (() => {});
  const timed = async <T>(step: string, work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const result = await work();
    onStep(step, performance.now() - started);
    return result;
  };
  const cacheDir = join(options.cacheDir ?? DEFAULT_CACHE_DIR, `billing-deps-${templateKey(runtime)}`);
  const cached = !options.refresh && existsSync(join(cacheDir, 'db.dump'));
  if (cached) {
    await timed('restore cached dependencies', () => runtime.restoreDatabase(cacheDir, db));
  } else {
    await timed('create database (base)', () => runtime.createDatabase(db));
    const printed = await timed('company: Toronto, ON, CAD', () => runtime.shell(db, COMPANY_SETUP, 'company'));
    if (!/^COMPANY_READY CA ON CAD$/m.test(printed)) throw new Error(`company setup did not take:\n${printed}`);
    await timed(`install ${BILLING_DEPENDENCIES.join(',')}`, () => runtime.installModules(db, BILLING_DEPENDENCIES));
    // Written next to the final place, then renamed: an interrupted save never looks complete.
    const partial = `${cacheDir}.partial-${process.pid}`;
    await timed('save dependencies to cache', () => runtime.saveDatabase(db, partial));
    rmSync(cacheDir, { recursive: true, force: true });
    renameSync(partial, cacheDir);
  }
  const install = options.install ?? [BILLING_MODULE];
  await timed(`install ${install.join(',')}`, () => runtime.installModules(db, install));
  return { db, fromCache: cached };
}

/** Everything the cached database depends on: the recipe and the Odoo tree it was built with. */
function templateKey(runtime: OdooRuntime): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ RECIPE_VERSION, BILLING_DEPENDENCIES, COMPANY_SETUP, odoo: runtime.identity }));
  return hash.digest('hex').slice(0, 16);
}
