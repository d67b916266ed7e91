// `fusion-billing dev`: an Odoo with the module installed, for people who edit the spec. Generates
// the module, boots PostgreSQL and Odoo (either runtime) with the billing database (a Toronto
// company, the sale/account/payment/l10n_ca stack), prints the web URL, the admin login and one API
// key per service, then regenerates and upgrades the module in place on every change of the spec,
// until Ctrl-C. A spec that does not validate is reported (file:line:column) and the server keeps
// running what it had; an upgrade that fails leaves the database as it was and Odoo is restarted on it.
import { watch } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { generateFiles, writeOutput } from '../generators/generate.ts';
import { SpecError } from '../generators/spec/index.ts';
import { startBillingServer, type BillingServer } from './runtime/billing-server.ts';
import { runtimeKind } from './runtime/index.ts';
import { REPO_ROOT } from './runtime/local.ts';
import { DEFAULT_SPEC, DEV_OPTIONS, DEV_USAGE } from '../generators/commands.ts';

export { DEV_USAGE };

const RESTART_AFTER_FAILURE_TIMEOUT_MS = 30_000;

interface DevIo {
  out(line: string): void;
  err(line: string): void;
}

export async function devCommand(args: string[], io: DevIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...DEV_OPTIONS, help: { type: 'boolean', short: 'h', default: false } },
    strict: true,
  });
  if (values.help) {
    io.out(DEV_USAGE);
    return 0;
  }
  // The default spec is the repository's; one given is relative to the current directory.
  const given = values.spec ?? positionals[0];
  const specFile = given === undefined ? join(REPO_ROOT, DEFAULT_SPEC) : resolve(given);
  const kind = runtimeKind(process.env, values.runtime);
  const outDir = join(REPO_ROOT, 'out');

  const regenerate = (): boolean => {
    try {
      const { ir, files } = generateFiles(specFile);
      const { written } = writeOutput(outDir, ir.module.technicalName, files);
      io.out(`dev: ${relative(REPO_ROOT, specFile)} → out/${ir.module.technicalName} (${written} file(s) written)`);
      return true;
    } catch (error) {
      if (error instanceof SpecError) {
        io.err(
          `${error.message}\ndev: the spec has ${error.diagnostics.length} problem(s); the server keeps the last module that generated`,
        );
        return false;
      }
      throw error;
    }
  };
  if (!regenerate()) return 1;

  let billing: BillingServer = await startBillingServer({
    db: 'fusion_dev',
    workers: Number(values.workers),
    // Crons run in a dev server (the harness's tests trigger them by hand).
    serverArgs: ['--max-cron-threads=1'],
    runtime: { runtime: kind, addonsDirs: [outDir] },
    progress: (message) => io.err(`  ${message}`),
  });
  const announce = () => {
    io.out(`\ndev: ${billing.runtime.description}`);
    io.out(`dev: Odoo at ${billing.server.baseUrl}/odoo (login admin, password admin), database ${billing.db}`);
    io.out(`dev: Lago-shaped API at ${billing.server.baseUrl}/api/v1 with these keys (Authorization: Bearer <key>):`);
    for (const [service, key] of Object.entries(billing.serviceKeys)) io.out(`       ${service.padEnd(12)} ${key}`);
    io.out(`dev: watching ${relative(REPO_ROOT, specFile)}; Ctrl-C stops\n`);
  };
  announce();

  let busy: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const upgrade = async () => {
    if (!regenerate()) return;
    const started = performance.now();
    // Same port: the URL in the developer's browser stays valid.
    const port = Number(new URL(billing.server.baseUrl).port);
    const restart = async (startTimeoutMs?: number) => {
      billing = {
        ...billing,
        server: await billing.runtime.startServer(billing.db, {
          port,
          workers: Number(values.workers),
          extraArgs: ['--max-cron-threads=1'],
          startTimeoutMs,
        }),
      };
    };
    await billing.server.stop();
    try {
      await billing.runtime.upgradeModules(billing.db, ['fusion_billing']);
    } catch (error) {
      // A failed -u is rolled back: the database keeps the module as it was.
      io.err(`dev: the upgrade failed, fix the spec and save again:\n${(error as Error).message}`);
      // Odoo loads the module's Python from out/: when that is what failed, no restart can
      // serve, and the developer should not wait minutes to hear it.
      await restart(RESTART_AFTER_FAILURE_TIMEOUT_MS).then(
        () => io.err(`dev: Odoo restarted on the database as it was; at ${billing.server.baseUrl}/odoo`),
        (restartError: unknown) =>
          io.err(`dev: Odoo is down until the next save that upgrades (${(restartError as Error).message.split('\n')[0]})`),
      );
      return;
    }
    await restart();
    io.out(
      `dev: upgraded fusion_billing in ${((performance.now() - started) / 1000).toFixed(1)} s; Odoo at ${billing.server.baseUrl}/odoo`,
    );
  };
  // The directory, not the file: editors (and sed -i) replace the file by a new one.
  watch(resolve(specFile, '..'), (_event, name) => {
    if (!name || !/\.ya?ml$/.test(String(name))) return;
    clearTimeout(timer);
    // Editors write a file in several steps: act once it has been quiet for a moment.
    timer = setTimeout(() => {
      busy = busy.then(upgrade).catch((error: unknown) => io.err(`dev: ${(error as Error).message}`));
    }, 400);
  });

  // Until Ctrl-C: the runtime's own signal hooks then stop Odoo and PostgreSQL (and remove their
  // containers) and end the process.
  return new Promise<number>(() => {});
}
