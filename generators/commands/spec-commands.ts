// validate, generate and price: the commands that read a spec and print what it makes.
// validate loads only the spec checks; generate and price load the emitters (generate.ts).
import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { UsageError } from '../commands.ts';
import { implementationFacts } from '../implementation-facts.ts';
import { validateSpecFile } from '../spec/index.ts';

export function validateCommand(spec: string): number {
  const valid = validateSpecFile(spec, implementationFacts());
  const { services, metrics, plans } = valid.spec.catalog;
  const charges = plans.reduce((n, p) => n + p.charges.length, 0);
  process.stdout.write(
    `${spec}: valid (${services.length} services, ${metrics.length} metrics, ${plans.length} plans, ${charges} charges, ${valid.spec.module.models.length} models)\n`,
  );
  return 0;
}

export async function generateCommand(spec: string, options: { out?: string; check: boolean }): Promise<number> {
  const { checkOutput, generateFiles, writeOutput } = await import('../generate.ts');
  const outDir = resolve(options.out ?? 'out');
  const { ir, files } = generateFiles(spec);
  const moduleName = ir.module.technicalName;
  const shown = relative(process.cwd(), outDir) || '.';
  const clientFiles = files.filter((f) => f.path.startsWith('client/')).length;
  const what = `${shown}/${moduleName} (${files.length - clientFiles} files) and ${shown}/client (${clientFiles})`;
  if (options.check) {
    const drift = checkOutput(outDir, moduleName, files);
    const problems = [
      ...drift.changed.map((p) => `  changed:    ${shown}/${p}`),
      ...drift.missing.map((p) => `  missing:    ${shown}/${p}`),
      ...drift.unexpected.map((p) => `  unexpected: ${shown}/${p}`),
    ];
    if (problems.length > 0) {
      process.stderr.write(
        `${what} drifted from ${spec} (${problems.length} file${problems.length === 1 ? '' : 's'}):\n${problems.join('\n')}\nRun \`fusion-billing generate\` and commit the result.\n`,
      );
      return 1;
    }
    process.stdout.write(`${what} match ${spec}\n`);
    return 0;
  }
  const { written, removed } = writeOutput(outDir, moduleName, files);
  process.stdout.write(`${what} from ${spec} (${written} written, ${removed.length} removed)\n`);
  return 0;
}

export async function priceCommand(spec: string, options: { plan?: string; examples: boolean; usageFile?: string }): Promise<number> {
  const [{ compileSpec, REPO_ROOT }, { checkPricingExamples, PricingError, pricePlan }] = await Promise.all([
    import('../generate.ts'),
    import('../pricing/price.ts'),
  ]);
  if (options.examples) {
    if (options.usageFile || options.plan) throw new UsageError('price --examples takes no plan or usage file');
  } else if (!options.plan || !options.usageFile) {
    throw new UsageError('price needs --plan CODE and one usage file (or --examples)');
  }
  const ir = compileSpec(spec);
  try {
    if (options.examples) {
      const result = checkPricingExamples(ir, REPO_ROOT);
      process.stdout.write(result.stdout);
      process.stderr.write(result.stderr);
      return result.status === 0 ? 0 : result.status === 1 ? 1 : 2;
    }
    let usage: unknown;
    try {
      usage = JSON.parse(readFileSync(options.usageFile!, 'utf8'));
    } catch (err) {
      process.stderr.write(`fusion-billing: ${options.usageFile}: ${(err as Error).message}\n`);
      return 2;
    }
    const result = pricePlan(ir, options.plan!, usage, REPO_ROOT);
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
