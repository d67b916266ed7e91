// fusion-billing CLI. Exit codes: 0 ok, 1 the check failed (invalid spec, drift, failing tests),
// 2 usage or environment error.
import { relative, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { readFileSync } from 'node:fs';
import { checkOutput, compileSpec, generateFiles, implementationFacts, REPO_ROOT, writeOutput } from './generate.ts';
import { checkPricingExamples, PricingError, pricePlan } from './pricing/price.ts';
import { SpecError } from './spec/index.ts';
import { validateSpecFile } from './spec/index.ts';

const USAGE = `usage: fusion-billing <command> [options]

commands:
  validate [spec]                 check a spec (default spec/nexa.yaml); located errors, exit 1 if invalid
  generate [spec] [--out DIR]     write the Odoo addon to DIR/<module> (default out/)
  generate [spec] --check         exit 1 and list the files of DIR/<module> that differ from the spec
  price --plan CODE USAGE.json    price a usage file ({metric_code: {units, events_count?, event_values?}})
                                  against a plan of the spec, through the module's rating core; prints JSON
  price --examples                check every pricing example of the spec through the rating core
  doctor                          name what the Odoo harness needs and is missing
  odoo-test [--module NAME]       install the module on a fresh database of a real Odoo 19 and run its tests
  dev [spec] [--runtime KIND]     serve Odoo with the module installed; regenerate and upgrade it on each spec change
  lago <step> --service CODE      move a service off Lago: import-catalog, import-accounts, pull-events,
                                  reconcile, accept, cutover (fusion-billing lago --help)
`;

const DEFAULT_SPEC = 'spec/nexa.yaml';

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'validate':
        return validate(rest);
      case 'generate':
        return generate(rest);
      case 'price':
        return price(rest);
      case 'dev': {
        const { devCommand } = await import('../harness/dev-command.ts');
        return devCommand(rest, { out: (line) => process.stdout.write(`${line}\n`), err: (line) => process.stderr.write(`${line}\n`) });
      }
      case 'lago': {
        const { lagoCommand, LAGO_USAGE } = await import('../migrate/command.ts');
        if (rest.length === 0 || rest[0] === '--help' || rest[0] === 'help') {
          process.stdout.write(LAGO_USAGE);
          return rest.length === 0 ? 2 : 0;
        }
        return lagoCommand(rest, {
          out: (line) => process.stdout.write(`${line}\n`),
          err: (line) => process.stderr.write(`${line}\n`),
          env: process.env,
          implementationFacts,
        });
      }
      case 'doctor':
      case 'odoo-test': {
        const { runHarnessCommand } = await import('../harness/cli.ts');
        return runHarnessCommand([command, ...rest]);
      }
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        process.stdout.write(USAGE);
        return command === undefined ? 2 : 0;
      default:
        process.stderr.write(`fusion-billing: unknown command '${command}'\n\n${USAGE}`);
        return 2;
    }
  } catch (err) {
    if (err instanceof SpecError) {
      process.stderr.write(`${err.message}\n${err.diagnostics.length} problem${err.diagnostics.length === 1 ? '' : 's'} in the spec.\n`);
      return 1;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`fusion-billing: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    throw err;
  }
}

class UsageError extends Error {}

function parse<const T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function specArg(positionals: string[]): string {
  if (positionals.length > 1) throw new UsageError(`expected one spec file, got ${positionals.length}`);
  return positionals[0] ?? DEFAULT_SPEC;
}

function validate(args: string[]): number {
  const { positionals } = parse(args, {});
  const spec = specArg(positionals);
  const valid = validateSpecFile(spec, implementationFacts());
  const { services, metrics, plans } = valid.spec.catalog;
  const charges = plans.reduce((n, p) => n + p.charges.length, 0);
  process.stdout.write(
    `${spec}: valid (${services.length} services, ${metrics.length} metrics, ${plans.length} plans, ${charges} charges, ${valid.spec.module.models.length} models)\n`,
  );
  return 0;
}

function generate(args: string[]): number {
  const { values, positionals } = parse(args, { out: { type: 'string' }, check: { type: 'boolean' } });
  const spec = specArg(positionals);
  const outDir = resolve(values.out ?? 'out');
  const { ir, files } = generateFiles(spec);
  const moduleName = ir.module.technicalName;
  const shown = relative(process.cwd(), outDir) || '.';
  const clientFiles = files.filter((f) => f.path.startsWith('client/')).length;
  const what = `${shown}/${moduleName} (${files.length - clientFiles} files) and ${shown}/client (${clientFiles})`;
  if (values.check) {
    const drift = checkOutput(outDir, moduleName, files);
    const problems = [
      ...drift.changed.map((p) => `  changed:    ${shown}/${p}`),
      ...drift.missing.map((p) => `  missing:    ${shown}/${p}`),
      ...drift.unexpected.map((p) => `  unexpected: ${shown}/${p}`),
    ];
    if (problems.length > 0) {
      process.stderr.write(`${what} drifted from ${spec} (${problems.length} file${problems.length === 1 ? '' : 's'}):\n${problems.join('\n')}\nRun \`fusion-billing generate\` and commit the result.\n`);
      return 1;
    }
    process.stdout.write(`${what} match ${spec}\n`);
    return 0;
  }
  const { written, removed } = writeOutput(outDir, moduleName, files);
  process.stdout.write(`${what} from ${spec} (${written} written, ${removed.length} removed)\n`);
  return 0;
}

function price(args: string[]): number {
  const { values, positionals } = parse(args, { plan: { type: 'string' }, examples: { type: 'boolean' }, spec: { type: 'string' } });
  const ir = compileSpec(values.spec ?? DEFAULT_SPEC);
  try {
    if (values.examples) {
      if (positionals.length > 0 || values.plan) throw new UsageError('price --examples takes no plan or usage file');
      const result = checkPricingExamples(ir, REPO_ROOT);
      process.stdout.write(result.stdout);
      process.stderr.write(result.stderr);
      return result.status === 0 ? 0 : result.status === 1 ? 1 : 2;
    }
    if (!values.plan || positionals.length !== 1) throw new UsageError('price needs --plan CODE and one usage file');
    let usage: unknown;
    try {
      usage = JSON.parse(readFileSync(positionals[0]!, 'utf8'));
    } catch (err) {
      process.stderr.write(`fusion-billing: ${positionals[0]}: ${(err as Error).message}\n`);
      return 2;
    }
    const result = pricePlan(ir, values.plan, usage, REPO_ROOT);
    process.stdout.write(result.stdout);
    process.stderr.write(result.stderr);
    return result.status;
  } catch (err) {
    if (err instanceof PricingError) {
      process.stderr.write(`fusion-billing: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

export { REPO_ROOT };
