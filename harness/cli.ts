// Harness subcommands, dispatched from the main CLI (generators/commands.ts):
//   fusion-billing doctor [--apt-packages]
//   fusion-billing odoo-test [--module fusion_billing] [--addons DIR]... [--tags SPEC] [--runtime local|containers] [--keep]
// Exit codes: 0 ok, 1 failures (tests, log gate, 0 tests), 2 environment missing or usage error.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatDoctorReport, odooAptPackages, runDoctor } from './doctor.ts';
import { dockerProblem } from './containers/engine.ts';
import { createRuntime, runtimeKind, type RuntimeKind } from './runtime/index.ts';
import { LocalRuntime, REPO_ROOT } from './runtime/local.ts';
import { formatTestReport } from './test-report.ts';
import { ODOO_TEST_OPTIONS, ODOO_TEST_USAGE } from '../generators/commands.ts';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_ENVIRONMENT = 2;

type Output = (text: string) => void;

export interface HarnessIo {
  out: Output;
  err: Output;
}

const defaultIo: HarnessIo = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
};

export async function runHarnessCommand(args: string[], io: HarnessIo = defaultIo): Promise<number> {
  const [command, ...rest] = args;
  switch (command) {
    case 'doctor':
      if (rest[0] === '--apt-packages') {
        // For scripts (.ci/run): the Debian packages of Odoo's Python imports and programs.
        io.out(odooAptPackages().join(' '));
        return EXIT_OK;
      }
      return doctorCommand(io);
    case 'odoo-test':
      return odooTestCommand(rest, io);
    default:
      io.err(`harness: unknown command '${command ?? ''}' (expected doctor or odoo-test)`);
      return EXIT_ENVIRONMENT;
  }
}

function doctorCommand(io: HarnessIo): number {
  const result = runDoctor();
  io.out(formatDoctorReport(result));
  return result.ok ? EXIT_OK : EXIT_FAILED;
}

async function odooTestCommand(args: string[], io: HarnessIo): Promise<number> {
  const parse = () =>
    parseArgs({ args, options: { ...ODOO_TEST_OPTIONS, help: { type: 'boolean', short: 'h', default: false } }, strict: true }).values;
  let options: ReturnType<typeof parse>;
  try {
    options = parse();
  } catch (error) {
    io.err(`odoo-test: ${(error as Error).message}\n\n${ODOO_TEST_USAGE}`);
    return EXIT_ENVIRONMENT;
  }
  if (options.help) {
    io.out(ODOO_TEST_USAGE);
    return EXIT_OK;
  }
  const module = options.module!;
  const addonsDirs = (options.addons ?? [join(REPO_ROOT, 'out')]).map((dir) => resolve(dir));

  let kind: RuntimeKind;
  try {
    kind = runtimeKind(process.env, options.runtime);
  } catch (error) {
    io.err(`odoo-test: ${(error as Error).message}`);
    return EXIT_ENVIRONMENT;
  }
  const doctor = runDoctor();
  const problem = kind === 'containers' ? dockerProblem() : doctor.ok ? undefined : formatDoctorReport(doctor);
  if (problem) {
    io.err(kind === 'containers' ? `odoo-test: containers runtime: ${problem}` : problem);
    return EXIT_ENVIRONMENT;
  }
  if (!addonsDirs.some((dir) => existsSync(join(dir, module, '__manifest__.py')))) {
    io.err(`odoo-test: no ${module}/__manifest__.py in ${addonsDirs.join(', ')} (run 'fusion-billing generate' first)`);
    return EXIT_ENVIRONMENT;
  }

  const runtime =
    kind === 'containers'
      ? createRuntime({ runtime: 'containers', addonsDirs, keep: options.keep })
      : new LocalRuntime({ odooSrc: doctor.odooSrc, python: doctor.python, pgBin: doctor.pgBin, addonsDirs, keep: options.keep });
  const interrupted = (): void => {
    io.err('odoo-test: interrupted, stopping Odoo and PostgreSQL');
    void runtime.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);

  const started = performance.now();
  try {
    await runtime.start((message) => io.err(`  ${message}`));
    const postgresMs = performance.now() - started;
    const db = `test_${module}_${Date.now().toString(36)}`;
    const report = await runtime.installAndTest(db, [module], options.tags ? { testTags: options.tags } : {});
    await runtime.stop();
    io.out(formatTestReport(module, report, { postgresMs, totalMs: performance.now() - started }));
    return report.ok ? EXIT_OK : EXIT_FAILED;
  } catch (error) {
    io.err(`odoo-test: ${(error as Error).message}`);
    await runtime.stop();
    return EXIT_FAILED;
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
  }
}
