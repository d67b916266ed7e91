// fusion-billing CLI: finds the command in the table (commands.ts), parses its options strictly,
// answers --help, and runs it. Exit codes: 0 ok, 1 the check failed (invalid spec, drift, failing
// tests), 2 usage or environment error.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { COMMANDS, UsageError, type Command, type Parsed } from './commands.ts';
import { REPO_ROOT } from './repo-root.ts';

export { REPO_ROOT };

const HELP = { help: { type: 'boolean', short: 'h' } } as const;

export function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return `usage: fusion-billing <command> [options]

commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`).join('\n')}

A command that reads a spec takes it as [spec] or --spec FILE (default spec/nexa.yaml).
fusion-billing <command> --help shows a command's usage and options; --version the version.
`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined) {
    process.stderr.write(overview());
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? args[0] : undefined;
    const command = topic === undefined ? undefined : COMMANDS.find((c) => c.name === topic);
    if (topic !== undefined && !command)
      return unknown(
        'fusion-billing:',
        `unknown command '${topic}'`,
        topic,
        COMMANDS.map((c) => c.name),
        'fusion-billing --help',
      );
    process.stdout.write(command ? command.usage : overview());
    return 0;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    const what = name.startsWith('-') ? `unknown option '${name}'` : `unknown command '${name}'`;
    return unknown(
      'fusion-billing:',
      what,
      name,
      name.startsWith('-') ? ['--help', '--version'] : COMMANDS.map((c) => c.name),
      'fusion-billing --help',
    );
  }
  const who = `fusion-billing ${command.name}:`;
  const hint = `fusion-billing ${command.name} --help`;
  let parsed: Parsed;
  try {
    parsed = parseArgs({ args, options: { ...command.options, ...HELP }, allowPositionals: true, strict: true });
  } catch (error) {
    const option = /Unknown option '([^']+)'/.exec((error as Error).message)?.[1];
    if (option) return unknown(who, `unknown option '${option}'`, option, optionNames(command), hint);
    return usageError(who, firstSentence((error as Error).message), hint);
  }
  if (parsed.values.help) {
    process.stdout.write(command.usage);
    return 0;
  }
  const problem = positionalProblem(command, parsed);
  if (problem)
    return problem.startsWith('unknown step')
      ? unknown(who, problem, parsed.positionals[0]!, command.steps!, hint)
      : usageError(who, problem, hint);
  try {
    return await command.run(args, parsed);
  } catch (error) {
    if (error instanceof UsageError) return usageError(who, error.message, hint);
    if ((error as Error).name === 'SpecError') {
      const { diagnostics } = error as Error & { diagnostics: unknown[] };
      process.stderr.write(
        `${(error as Error).message}\n${diagnostics.length} problem${diagnostics.length === 1 ? '' : 's'} in the spec.\n`,
      );
      return 1;
    }
    throw error;
  }
}

/** Too many positionals, or a missing or unknown step: what is wrong, or undefined. */
function positionalProblem(command: Command, { values, positionals }: Parsed): string | undefined {
  let rest = positionals;
  if (command.steps) {
    const step = rest[0];
    if (step === undefined) return `which step? one of ${command.steps.join(', ')}`;
    if (!command.steps.includes(step)) return `unknown step '${step}'`;
    rest = rest.slice(1);
  }
  if (command.readsSpec && values.spec === undefined) rest = rest.slice(1);
  const extra = rest.length - (command.maxPositionals ?? 0);
  if (extra <= 0) return undefined;
  if (command.readsSpec && positionals.length > 0) return `expected one spec file, got ${extra + 1} (${positionals.join(' ')})`;
  return `unexpected argument '${rest[rest.length - extra]}'`;
}

function optionNames(command: Command): string[] {
  return [...Object.keys(command.options), 'help'].map((o) => `--${o}`);
}

function unknown(who: string, what: string, given: string, known: string[], hint: string): number {
  const near = closest(given, known);
  return usageError(who, `${what}${near ? ` (did you mean '${near}'?)` : ''}`, hint);
}

/** One line on stderr, exit 2. */
function usageError(who: string, message: string, hint: string): number {
  process.stderr.write(`${who} ${message}; see ${hint}\n`);
  return 2;
}

function firstSentence(message: string): string {
  return message.split(/\.\s/)[0]!.replace(/\.$/, '');
}

/** The known name nearest to `given`, if it is a plausible typo (edit distance ≤ 2, or a prefix). */
export function closest(given: string, known: string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = name.startsWith(given) && given.length >= 3 ? 0.5 : editDistance(given, name);
    if (!best || distance < best.distance) best = { name, distance };
  }
  return best && best.distance <= Math.min(2, Math.max(1, Math.floor(given.length / 3))) ? best.name : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[b.length]!;
}

function version(): string {
  return (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}
