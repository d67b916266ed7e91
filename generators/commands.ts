// The CLI's command table: each command's name, one-line summary, usage and options, and the
// module that runs it. Only this file and cli.ts load at start; a command imports what it needs
// when it runs (ts-morph, Handlebars, the Odoo harness, Lago's client are seconds of loading).
import type { ParseArgsConfig } from 'node:util';

export type Options = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
}

export interface Command {
  name: string;
  summary: string;
  /** Printed by `fusion-billing NAME --help`; its first line is "usage: fusion-billing NAME ...". */
  usage: string;
  options: Options;
  /** The spec is `[spec]`, the first positional (after a step), or `--spec FILE`. */
  readsSpec: boolean;
  /** Subcommands, the first positional (lago). */
  steps?: string[];
  /** How many positionals besides the spec and the step (default 0). */
  maxPositionals?: number;
  run(args: string[], parsed: Parsed): Promise<number>;
}

export const DEFAULT_SPEC = 'spec/nexa.yaml';

/** Thrown for wrong use of a command: one line, exit 2. */
export class UsageError extends Error {}

const SPEC = { spec: { type: 'string' } } as const;
const SPEC_LINE = '  [spec], --spec FILE  the spec (default spec/nexa.yaml)';

export const VALIDATE_USAGE = `usage: fusion-billing validate [spec]

  Checks the spec (the YAML schema, references, the hand-written Python it names) and prints a
  summary; every problem is reported as file:line:column. Exit 1 if the spec is invalid.

${SPEC_LINE}
`;

export const GENERATE_USAGE = `usage: fusion-billing generate [spec] [--out DIR] [--check]

  Writes the Odoo addon to DIR/<module> and the typed client to DIR/client, removing files the
  spec no longer produces. With --check, writes nothing and exits 1 listing the files that differ.

${SPEC_LINE}
  --out DIR            where to write (default out/)
  --check              compare instead of writing; exit 1 on drift
`;

export const PRICE_USAGE = `usage: fusion-billing price [spec] --plan CODE USAGE.json
       fusion-billing price [spec] --examples

  Prices a usage file ({metric_code: {units, events_count?, event_values?}}) against a plan of the
  spec through the module's pure-Python rating core and prints the invoice as JSON; or checks
  every pricing example of the spec. Needs python3.

${SPEC_LINE}
  --plan CODE          the plan to price against (with one usage file)
  --examples           check the spec's pricing examples; exit 1 if one fails
`;

export const DOCTOR_USAGE = `usage: fusion-billing doctor [--apt-packages]

  Names what the Odoo harness needs (an Odoo 19 tree, its Python, PostgreSQL) and what is missing
  on this machine. Exit 1 if something is missing.

  --apt-packages       print the Debian packages of Odoo's Python imports and programs (for scripts)
`;

export const ODOO_TEST_USAGE = `usage: fusion-billing odoo-test [--module NAME] [--addons DIR]... [--tags SPEC] [--runtime local|containers] [--keep]

  Starts a throwaway PostgreSQL, creates a fresh database, installs the module with its tests
  (--test-tags /NAME) on a real Odoo 19 and fails on test failures, on 0 tests, and on WARNING+
  log records about the module or any ERROR record.

  --module NAME   module to install and test (default fusion_billing)
  --addons DIR    directory holding the module (repeatable; default out/)
  --tags SPEC     Odoo --test-tags, e.g. /fusion_billing:TestWebhookSources (default /NAME)
  --runtime KIND  local (default, or $FUSION_RUNTIME) or containers (Docker: PostgreSQL and Odoo images)
  --keep          leave PostgreSQL running and the temporary directory in place, print how to reach them
`;

export const ODOO_TEST_OPTIONS = {
  module: { type: 'string', default: 'fusion_billing' },
  addons: { type: 'string', multiple: true },
  keep: { type: 'boolean', default: false },
  tags: { type: 'string' },
  runtime: { type: 'string' },
} as const;

export const DEV_USAGE = `usage: fusion-billing dev [spec] [--runtime local|containers] [--workers N]

  Boots PostgreSQL and Odoo 19 (local processes, or containers) with the module generated from the
  spec (default spec/nexa.yaml) installed on a billing database, prints the web URL, the admin
  login and one API key per service, and on each change of the spec regenerates out/ and upgrades
  the module in place (the server restarts to load the new Python). Ctrl-C stops everything.

${SPEC_LINE}
  --runtime KIND  local (default, or $FUSION_RUNTIME) or containers
  --workers N     Odoo workers (default 0: the threaded server)
`;

export const DEV_OPTIONS = { ...SPEC, runtime: { type: 'string' }, workers: { type: 'string', default: '0' } } as const;

export const LAGO_STEPS = ['import-catalog', 'import-accounts', 'pull-events', 'reconcile', 'accept', 'cutover'];

export const LAGO_USAGE = `usage: fusion-billing lago <step> [spec] --service CODE [options]

steps (the runbook: import → shadow → reconcile → cut over, per service):
  import-catalog [--apply] [--allow-partial] [--plans A,B]
                      Lago's billable metrics and plans → the spec (a diff; --apply writes it)
  import-accounts [--apply] [--allow-partial] [--report FILE]
                      Lago's customers and subscriptions → Odoo (a dry run unless --apply)
  pull-events [--from ISO] [--to ISO]
                      each subscription's events from Lago into Odoo (idempotent; for a schedule)
  reconcile --period YYYY-MM [--html FILE]
                      Lago's invoiced fees against Odoo's rating of the same period; exit 1 on an unexplained mismatch
  accept --line ID[,ID] --reason TEXT
                      accept mismatch lines with a written reason
  cutover [--from YYYY-MM] [--allow-partial] [--check]
                      switch the service to live once its last periods reconciled; the spec says so too

connections (options or environment):
  --lago-url URL      LAGO_API_URL, Lago's API root (https://api.getlago.com/api/v1)
  --lago-key KEY      LAGO_API_KEY
  --odoo-url URL      FUSION_ODOO_URL, the Odoo server (https://odoo.example.com)
  --odoo-db NAME      FUSION_ODOO_DB
  --odoo-key KEY      FUSION_ODOO_API_KEY, an administrator's API key (JSON-2)
  --service-key KEY   FUSION_SERVICE_API_KEY, the service's key of /api/v1 (pull-events)
  [spec], --spec FILE the spec (default spec/nexa.yaml)
`;

export const LAGO_OPTIONS = {
  ...SPEC,
  service: { type: 'string' },
  apply: { type: 'boolean' },
  'allow-partial': { type: 'boolean' },
  plans: { type: 'string' },
  report: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  period: { type: 'string' },
  html: { type: 'string' },
  line: { type: 'string' },
  reason: { type: 'string' },
  check: { type: 'boolean' },
  'lago-url': { type: 'string' },
  'lago-key': { type: 'string' },
  'odoo-url': { type: 'string' },
  'odoo-db': { type: 'string' },
  'odoo-key': { type: 'string' },
  'service-key': { type: 'string' },
} as const;

/**
 * The spec of a command that reads one: `[spec]` (positionals[skip]) or `--spec FILE`, not both;
 * returns it with the other positionals.
 */
export function specOf(values: Parsed['values'], positionals: string[], skip = 0): { spec: string; rest: string[] } {
  const flag = values.spec as string | undefined;
  const lead = positionals.slice(0, skip);
  const after = positionals.slice(skip);
  if (flag !== undefined) return { spec: flag, rest: [...lead, ...after] };
  return { spec: after[0] ?? DEFAULT_SPEC, rest: [...lead, ...after.slice(1)] };
}

const out = (line: string) => process.stdout.write(`${line}\n`);
const err = (line: string) => process.stderr.write(`${line}\n`);

export const COMMANDS: Command[] = [
  {
    name: 'validate',
    summary: 'check a spec: located errors (file:line:column), exit 1 if invalid',
    usage: VALIDATE_USAGE,
    options: SPEC,
    readsSpec: true,
    async run(_args, { values, positionals }) {
      const { validateCommand } = await import('./commands/spec-commands.ts');
      return validateCommand(specOf(values, positionals).spec);
    },
  },
  {
    name: 'generate',
    summary: 'write the Odoo addon and the typed client to out/ (--check: exit 1 on drift)',
    usage: GENERATE_USAGE,
    options: { ...SPEC, out: { type: 'string' }, check: { type: 'boolean' } },
    readsSpec: true,
    async run(_args, { values, positionals }) {
      const { generateCommand } = await import('./commands/spec-commands.ts');
      return generateCommand(specOf(values, positionals).spec, { out: values.out as string | undefined, check: Boolean(values.check) });
    },
  },
  {
    name: 'price',
    summary: "price a usage file against a plan, or check the spec's pricing examples",
    usage: PRICE_USAGE,
    options: { ...SPEC, plan: { type: 'string' }, examples: { type: 'boolean' } },
    readsSpec: true,
    maxPositionals: 1,
    async run(_args, { values, positionals }) {
      // `price --plan CODE USAGE.json` (the older form) as well as `price SPEC --plan CODE USAGE.json`.
      const { spec, rest } =
        values.spec === undefined && positionals.length === 1 && values.plan
          ? { spec: DEFAULT_SPEC, rest: positionals }
          : specOf(values, positionals);
      const { priceCommand } = await import('./commands/spec-commands.ts');
      return priceCommand(spec, { plan: values.plan as string | undefined, examples: Boolean(values.examples), usageFile: rest[0] });
    },
  },
  {
    name: 'doctor',
    summary: 'name what the Odoo harness needs and what is missing',
    usage: DOCTOR_USAGE,
    options: { 'apt-packages': { type: 'boolean' } },
    readsSpec: false,
    async run(args) {
      const { runHarnessCommand } = await import('../harness/cli.ts');
      return runHarnessCommand(['doctor', ...args]);
    },
  },
  {
    name: 'odoo-test',
    summary: 'install the module on a fresh database of a real Odoo 19 and run its tests',
    usage: ODOO_TEST_USAGE,
    options: ODOO_TEST_OPTIONS,
    readsSpec: false,
    async run(args) {
      const { runHarnessCommand } = await import('../harness/cli.ts');
      return runHarnessCommand(['odoo-test', ...args]);
    },
  },
  {
    name: 'dev',
    summary: 'serve Odoo with the module installed; regenerate and upgrade it on each spec change',
    usage: DEV_USAGE,
    options: DEV_OPTIONS,
    readsSpec: true,
    async run(args) {
      const { devCommand } = await import('../harness/dev-command.ts');
      return devCommand(args, { out, err });
    },
  },
  {
    name: 'lago',
    summary: 'move a service off Lago, one step at a time (import, pull events, reconcile, cut over)',
    usage: LAGO_USAGE,
    options: LAGO_OPTIONS,
    readsSpec: true,
    steps: LAGO_STEPS,
    async run(args) {
      const [{ lagoCommand }, { implementationFacts }] = await Promise.all([
        import('../migrate/command.ts'),
        import('./implementation-facts.ts'),
      ]);
      return lagoCommand(args, { out, err, env: process.env, implementationFacts });
    },
  },
];
