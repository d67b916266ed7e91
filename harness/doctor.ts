// `fusion-billing doctor`: says what the local Odoo runtime needs and how to get each missing piece.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';

export interface DoctorProblem {
  what: string;
  fix: string;
}

export interface DoctorResult {
  ok: boolean;
  odooSrc: string;
  python: string;
  /** Directory holding initdb, pg_ctl and postgres, when found. */
  pgBin?: string;
  /** When we are root: the OS user PostgreSQL runs as (it refuses to run as root). */
  pgOsUser?: string;
  /** What was found, for the printer. */
  found: string[];
  problems: DoctorProblem[];
}

export interface DoctorOptions {
  odooSrc?: string;
  python?: string;
  env?: NodeJS.ProcessEnv;
  /** Where Debian-style PostgreSQL installs live; default /usr/lib/postgresql. */
  postgresRoot?: string;
}

export const DEFAULT_ODOO_SRC = '/opt/odoo';
// Debian's interpreter: the python3 first on PATH may be a pyenv build without Odoo's packages.
export const DEFAULT_ODOO_PYTHON = '/usr/bin/python3';
const MIN_POSTGRES_MAJOR = 13; // odoo/release.py MIN_PG_VERSION
const APT_INSTALL = 'apt-get install -y --no-install-recommends';

/** Import name -> Debian 12 package, from the Odoo tree's debian/control (see docs local-odoo.md). */
export const ODOO_PYTHON_DEPENDENCIES: ReadonlyArray<readonly [importName: string, debianPackage: string]> = [
  ['asn1crypto', 'python3-asn1crypto'],
  ['babel', 'python3-babel'],
  ['cbor2', 'python3-cbor2'],
  ['chardet', 'python3-chardet'],
  ['cryptography', 'python3-cryptography'],
  ['dateutil', 'python3-dateutil'],
  ['docutils', 'python3-docutils'],
  ['freezegun', 'python3-freezegun'],
  ['geoip2', 'python3-geoip2'],
  ['gevent', 'python3-gevent'],
  ['greenlet', 'python3-greenlet'],
  ['idna', 'python3-idna'],
  ['PIL', 'python3-pil'],
  ['jinja2', 'python3-jinja2'],
  ['sass', 'python3-libsass'],
  ['lxml', 'python3-lxml'],
  ['magic', 'python3-magic'],
  ['markupsafe', 'python3-markupsafe'],
  ['num2words', 'python3-num2words'],
  ['ofxparse', 'python3-ofxparse'],
  ['openpyxl', 'python3-openpyxl'],
  ['passlib', 'python3-passlib'],
  ['polib', 'python3-polib'],
  ['psutil', 'python3-psutil'],
  ['psycopg2', 'python3-psycopg2'],
  ['OpenSSL', 'python3-openssl'],
  ['PyPDF2', 'python3-pypdf2'],
  ['rjsmin', 'python3-rjsmin'],
  ['qrcode', 'python3-qrcode'],
  ['reportlab.graphics.renderPM', 'python3-renderpm'],
  ['reportlab', 'python3-reportlab'],
  ['requests', 'python3-requests'],
  ['stdnum', 'python3-stdnum'],
  ['pytz', 'python3-tz'],
  ['urllib3', 'python3-urllib3'],
  ['vobject', 'python3-vobject'],
  ['werkzeug', 'python3-werkzeug'],
  ['xlsxwriter', 'python3-xlsxwriter'],
  ['xlrd', 'python3-xlrd'],
  ['zeep', 'python3-zeep'],
];

export function resolveOdooSrc(env: NodeJS.ProcessEnv = process.env): string {
  return env.ODOO_SRC || DEFAULT_ODOO_SRC;
}

/**
 * The Odoo Enterprise addons tree named by ODOO_ENTERPRISE_SRC (put on the addons path and, in
 * containers, mounted read-only), or undefined when the variable is unset. A name that is not a
 * directory is an error: a run that silently left Enterprise out would test something else.
 */
export function resolveEnterpriseSrc(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dir = env.ODOO_ENTERPRISE_SRC;
  if (!dir) return undefined;
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new Error(`ODOO_ENTERPRISE_SRC=${dir} is not a directory: point it at an Odoo 19 Enterprise addons checkout, or unset it`);
  }
  return resolve(dir);
}

export function resolveOdooPython(env: NodeJS.ProcessEnv = process.env): string {
  return env.ODOO_PYTHON || DEFAULT_ODOO_PYTHON;
}

/**
 * What identifies an Odoo tree for caches built from it (template databases, container images):
 * its release.py and the modification times of its addons directories (a checkout or update of
 * the tree touches them).
 */
export function odooTreeIdentity(odooSrc: string): string {
  const hash = createHash('sha256');
  const release = join(odooSrc, 'odoo', 'release.py');
  if (existsSync(release)) hash.update(readFileSync(release));
  for (const dir of ['addons', join('odoo', 'addons')]) {
    const path = join(odooSrc, dir);
    if (existsSync(path)) hash.update(`${dir}:${statSync(path).mtimeMs}`);
  }
  return hash.digest('hex').slice(0, 16);
}

/** Reads version_info = (19, 0, ...) from odoo/release.py; undefined when absent or unreadable. */
export function readOdooSeries(odooSrc: string): string | undefined {
  const releaseFile = join(odooSrc, 'odoo', 'release.py');
  if (!existsSync(releaseFile)) return undefined;
  const match = /^version_info\s*=\s*\(\s*(?:'([^']+)'|(\d+))\s*,\s*(\d+)/m.exec(readFileSync(releaseFile, 'utf8'));
  if (!match) return undefined;
  return `${match[1] ?? match[2]}.${match[3]}`;
}

/** Programs Odoo runs beside Python: command -> Debian package. Invoice PDFs (Lago's download). */
export const ODOO_PROGRAMS: ReadonlyArray<readonly [command: string, debianPackage: string]> = [['wkhtmltopdf', 'wkhtmltopdf']];

/** Every Debian package the harness's Odoo needs (doctor --apt-packages, for .ci/run). */
export function odooAptPackages(): string[] {
  return [...new Set([...ODOO_PYTHON_DEPENDENCIES.map(([, pkg]) => pkg), ...ODOO_PROGRAMS.map(([, pkg]) => pkg)])];
}

const POSTGRES_TOOLS = ['initdb', 'pg_ctl', 'postgres'] as const;

function hasPostgresTools(dir: string): boolean {
  return POSTGRES_TOOLS.every((tool) => existsSync(join(dir, tool)));
}

/**
 * A directory holding initdb, pg_ctl and postgres together: $PG_BIN, then the directory an initdb
 * on PATH really lives in (Debian puts only symlinks on PATH, and no `postgres`), then the newest
 * /usr/lib/postgresql/<major>/bin.
 */
export function findPostgresBin(env: NodeJS.ProcessEnv = process.env, postgresRoot = '/usr/lib/postgresql'): string | undefined {
  const candidates: string[] = [];
  if (env.PG_BIN) candidates.push(env.PG_BIN);
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const initdb = join(dir, 'initdb');
    if (!existsSync(initdb)) continue;
    candidates.push(dirname(realpathSync(initdb)), dir);
  }
  if (existsSync(postgresRoot)) {
    const majors = readdirSync(postgresRoot)
      .filter((name) => /^\d+$/.test(name))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...majors.map((major) => join(postgresRoot, major, 'bin')));
  }
  return candidates.find(hasPostgresTools);
}

function postgresMajor(pgBin: string): number | undefined {
  const run = spawnSync(join(pgBin, 'pg_ctl'), ['--version'], { encoding: 'utf8' });
  const match = /(\d+)(?:\.\d+)?/.exec(run.stdout ?? '');
  return match ? Number(match[1]) : undefined;
}

/** uid of an OS user, or undefined; PostgreSQL must run as someone other than root. */
export function lookupUid(user: string): number | undefined {
  const run = spawnSync('id', ['-u', user], { encoding: 'utf8' });
  return run.status === 0 ? Number(run.stdout.trim()) : undefined;
}

function onPath(command: string, env: NodeJS.ProcessEnv): boolean {
  return (env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, command)));
}

interface PythonProbe {
  version?: string;
  missing: string[];
}

// One interpreter start for all imports; prints JSON so nothing else on stdout confuses us.
const PYTHON_PROBE = `
import importlib, json, sys
missing = []
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
    except Exception:
        missing.append(name)
print(json.dumps({"version": "%d.%d.%d" % sys.version_info[:3], "missing": missing}))
`;

function probePython(python: string): PythonProbe | undefined {
  if (!existsSync(python)) return undefined;
  const imports = ODOO_PYTHON_DEPENDENCIES.map(([name]) => name);
  const run = spawnSync(python, ['-c', PYTHON_PROBE, ...imports], { encoding: 'utf8', timeout: 60_000 });
  const lastLine = (run.stdout ?? '').trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(lastLine) as PythonProbe;
  } catch {
    return undefined;
  }
}

function checkOdooTree(odooSrc: string, found: string[], problems: DoctorProblem[]): void {
  const fix =
    'set ODOO_SRC to an Odoo 19.0 Community checkout holding odoo-bin, odoo/ and addons/ ' +
    '(docs: /work/shared/reference/local-odoo.md "Where the source comes from")';
  if (!existsSync(join(odooSrc, 'odoo-bin'))) {
    problems.push({ what: `no Odoo 19 tree at ${odooSrc} (odoo-bin missing)`, fix });
    return;
  }
  const series = readOdooSeries(odooSrc);
  if (series !== '19.0') {
    problems.push({
      what: `Odoo tree at ${odooSrc} is ${series ? `series ${series}` : 'of unknown version (odoo/release.py unreadable)'}, not 19.0`,
      fix,
    });
    return;
  }
  if (!existsSync(join(odooSrc, 'addons'))) {
    problems.push({ what: `Odoo tree at ${odooSrc} has no addons/ directory`, fix });
    return;
  }
  found.push(`Odoo 19.0 source at ${odooSrc}`);
}

function checkPython(python: string, found: string[], problems: DoctorProblem[]): void {
  const probe = probePython(python);
  if (!probe) {
    problems.push({
      what: `no usable Python at ${python}`,
      fix: `${APT_INSTALL} python3 (Debian), or set ODOO_PYTHON to an interpreter with Odoo's dependencies`,
    });
    return;
  }
  if (probe.missing.length > 0) {
    const packages = ODOO_PYTHON_DEPENDENCIES.filter(([name]) => probe.missing.includes(name)).map(([, pkg]) => pkg);
    problems.push({
      what: `${python} cannot import ${probe.missing.length} Odoo dependencies: ${probe.missing.join(', ')}`,
      fix: `${APT_INSTALL} ${[...new Set(packages)].join(' ')}`,
    });
    return;
  }
  found.push(`Python ${probe.version} at ${python} imports all ${ODOO_PYTHON_DEPENDENCIES.length} Odoo dependencies`);
}

function checkPrograms(env: NodeJS.ProcessEnv, found: string[], problems: DoctorProblem[]): void {
  const missing = ODOO_PROGRAMS.filter(([command]) => !onPath(command, env));
  if (missing.length) {
    problems.push({
      what: `${missing.map(([command]) => command).join(', ')} not on PATH (Odoo renders invoice PDFs with it)`,
      fix: `${APT_INSTALL} ${missing.map(([, pkg]) => pkg).join(' ')}`,
    });
    return;
  }
  found.push(`${ODOO_PROGRAMS.map(([command]) => command).join(', ')} on PATH`);
}

function checkPostgres(
  env: NodeJS.ProcessEnv,
  postgresRoot: string,
  found: string[],
  problems: DoctorProblem[],
): { pgBin?: string; pgOsUser?: string } {
  const pgBin = findPostgresBin(env, postgresRoot);
  if (!pgBin) {
    problems.push({
      what: `PostgreSQL server binaries (${POSTGRES_TOOLS.join(', ')}) not found on PATH nor in ${postgresRoot}/*/bin`,
      fix: `${APT_INSTALL} postgresql (Debian), or set PG_BIN to the directory holding them`,
    });
    return {};
  }
  const major = postgresMajor(pgBin);
  if (major !== undefined && major < MIN_POSTGRES_MAJOR) {
    problems.push({
      what: `PostgreSQL ${major} in ${pgBin} is older than Odoo 19's minimum ${MIN_POSTGRES_MAJOR}`,
      fix: `${APT_INSTALL} postgresql (PostgreSQL ${MIN_POSTGRES_MAJOR}+), or set PG_BIN`,
    });
    return { pgBin };
  }
  found.push(`PostgreSQL ${major ?? '?'} binaries in ${pgBin}`);

  if (process.getuid?.() !== 0) return { pgBin };
  // initdb and postgres refuse to run as root: the throwaway cluster runs as this user via runuser.
  const pgOsUser = env.PG_OS_USER || 'postgres';
  if (lookupUid(pgOsUser) === undefined) {
    problems.push({
      what: `running as root, but there is no OS user '${pgOsUser}' to run PostgreSQL as (it refuses root)`,
      fix: `useradd --system --home /var/lib/postgresql ${pgOsUser}, or set PG_OS_USER to an existing non-root user`,
    });
    return { pgBin };
  }
  if (!onPath('runuser', env)) {
    problems.push({ what: 'running as root, but runuser is not on PATH', fix: `${APT_INSTALL} util-linux` });
    return { pgBin };
  }
  found.push(`as root: PostgreSQL will run as OS user '${pgOsUser}'`);
  return { pgBin, pgOsUser };
}

export function runDoctor(options: DoctorOptions = {}): DoctorResult {
  const env = options.env ?? process.env;
  const odooSrc = options.odooSrc ?? resolveOdooSrc(env);
  const python = options.python ?? resolveOdooPython(env);
  const found: string[] = [];
  const problems: DoctorProblem[] = [];

  checkOdooTree(odooSrc, found, problems);
  checkPython(python, found, problems);
  checkPrograms(env, found, problems);
  const postgres = checkPostgres(env, options.postgresRoot ?? '/usr/lib/postgresql', found, problems);

  return { ok: problems.length === 0, odooSrc, python, ...postgres, found, problems };
}

export function formatDoctorReport(result: DoctorResult): string {
  const lines = ['fusion-billing doctor: local Odoo 19 runtime'];
  for (const item of result.found) lines.push(`  ok       ${item}`);
  for (const problem of result.problems) {
    lines.push(`  MISSING  ${problem.what}`);
    lines.push(`           fix: ${problem.fix}`);
  }
  lines.push(
    result.ok
      ? 'ready: `fusion-billing odoo-test` and `npm run acceptance` can run'
      : `${result.problems.length} problem(s): the Odoo acceptance suite will be skipped until they are fixed`,
  );
  return lines.join('\n');
}

/** The one-line reason used when a run has to be skipped. */
export function summarizeProblems(result: DoctorResult): string {
  const [first, ...rest] = result.problems;
  if (!first) return 'environment ready';
  return rest.length ? `${first.what} (+${rest.length} more)` : first.what;
}
