// The images of the containers runtime. Image names are configuration, with the official images
// as defaults (what users' CI pulls); where no registry answers (as on these machines), the harness
// builds local equivalents itself and keeps them, tagged by a hash of everything they are made of:
// a Debian base from debootstrap, PostgreSQL from Debian's package, and an Odoo runtime with the
// Debian packages the doctor lists and the Odoo tree of ODOO_SRC copied in (never committed).
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../generators/repo-root.ts';
import { odooAptPackages, odooTreeIdentity } from '../doctor.ts';
import type { ProgressCallback } from '../runtime/types.ts';

const DOCKERFILES = join(REPO_ROOT, 'harness/containers/dockerfiles');

export const DEFAULT_IMAGES = { postgres: 'postgres:16', odoo: 'odoo:19.0', node: 'node:20-bookworm-slim' } as const;
export type ImageRole = keyof typeof DEFAULT_IMAGES;

/** Where things are in an Odoo image: the official one or the harness's own build. */
export interface OdooLayout {
  /** The command that runs odoo-bin (replaces the image's entrypoint). */
  command: string[];
  /** Odoo's own addons directories inside the image. */
  addonsPaths: string[];
}

const OFFICIAL_ODOO_LAYOUT: OdooLayout = { command: ['odoo'], addonsPaths: ['/usr/lib/python3/dist-packages/odoo/addons'] };
const BUILT_ODOO_LAYOUT: OdooLayout = {
  command: ['/usr/bin/python3', '/opt/odoo/odoo-bin'],
  addonsPaths: ['/opt/odoo/addons', '/opt/odoo/odoo/addons'],
};

export interface ResolvedImage {
  role: ImageRole;
  name: string;
  /** present: already in the engine; pulled: from a registry; local build: made here, now or before. */
  origin: 'present' | 'pulled' | 'local build';
}

export interface ImageOptions {
  env?: NodeJS.ProcessEnv;
  odooSrc: string;
  progress?: ProgressCallback;
}

/** The configured image of each role: FUSION_POSTGRES_IMAGE, FUSION_ODOO_IMAGE, FUSION_NODE_IMAGE, else the official ones. */
export function configuredImages(env: NodeJS.ProcessEnv = process.env): Record<ImageRole, string> {
  return {
    postgres: env.FUSION_POSTGRES_IMAGE || DEFAULT_IMAGES.postgres,
    odoo: env.FUSION_ODOO_IMAGE || DEFAULT_IMAGES.odoo,
    node: env.FUSION_NODE_IMAGE || DEFAULT_IMAGES.node,
  };
}

export function odooLayoutOf(image: string): OdooLayout {
  return image.startsWith('fusion-billing/odoo:') ? BUILT_ODOO_LAYOUT : OFFICIAL_ODOO_LAYOUT;
}

/** The image to run for `role`: the configured one if the engine has it or can pull it, else (for the official defaults) a local build. */
export async function resolveImage(role: ImageRole, options: ImageOptions): Promise<ResolvedImage> {
  const progress = options.progress ?? (() => {});
  const name = configuredImages(options.env)[role];
  if (imageExists(name)) return { role, name, origin: 'present' };
  const isDefault = name === DEFAULT_IMAGES[role];
  // A machine that built the local equivalent before has no registry: do not ask it again.
  if (isDefault && imageExists(localTag(role, options))) return { role, name: localTag(role, options), origin: 'local build' };
  progress(`images: pulling ${name}`);
  const pulled = await run('docker', ['pull', name], progress, 180_000);
  if (pulled.ok) return { role, name, origin: 'pulled' };
  if (!isDefault) {
    throw new Error(`image ${name} (${role}) is not in the Docker engine and cannot be pulled: ${pulled.lastLine}`);
  }
  progress(`images: no registry answers (${pulled.lastLine}); building a local ${role} image`);
  const built = role === 'postgres' ? await buildPostgres(options) : role === 'odoo' ? await buildOdoo(options) : await buildNode(options);
  return { role, name: built, origin: 'local build' };
}

/** The tag of the local build of `role` (made of the Dockerfiles and, for Odoo, the tree). */
function localTag(role: ImageRole, options: ImageOptions): string {
  return role === 'postgres' ? postgresRecipe().tag : role === 'odoo' ? odooRecipe(options).tag : nodeRecipe().tag;
}

// ------------------------------------------------------------------------------- local builds

const DEBIAN_SUITE = 'bookworm';
// The helper services need Node.js 20 (the `stripe` package), which Debian has from trixie on.
const NODE_DEBIAN_SUITE = 'trixie';
const DEBIAN_MIRROR = 'http://deb.debian.org/debian';

function key(...parts: string[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\0');
  return hash.digest('hex').slice(0, 12);
}

function baseTag(suite: string): string {
  return `fusion-billing/debian:${suite}-${key('debootstrap --variant=minbase', suite, DEBIAN_MIRROR, '1')}`;
}

const BASE_TAG = baseTag(DEBIAN_SUITE);

function nodeRecipe() {
  const dockerfile = readFileSync(join(DOCKERFILES, 'node.Dockerfile'), 'utf8').replace('{{BASE}}', baseTag(NODE_DEBIAN_SUITE));
  return { dockerfile, tag: `fusion-billing/node:20-${key(dockerfile)}` };
}

async function buildNode(options: ImageOptions): Promise<string> {
  const { dockerfile, tag } = nodeRecipe();
  return buildFromFiles(tag, { Dockerfile: dockerfile }, NODE_DEBIAN_SUITE, options.progress ?? (() => {}));
}

function postgresRecipe() {
  const dockerfile = readFileSync(join(DOCKERFILES, 'postgres.Dockerfile'), 'utf8').replace('{{BASE}}', BASE_TAG);
  const entrypoint = readFileSync(join(DOCKERFILES, 'postgres-entrypoint.sh'), 'utf8');
  return { dockerfile, entrypoint, tag: `fusion-billing/postgres:15-${key(dockerfile, entrypoint)}` };
}

function odooRecipe(options: ImageOptions) {
  const dockerfile = readFileSync(join(DOCKERFILES, 'odoo.Dockerfile'), 'utf8')
    .replace('{{BASE}}', BASE_TAG)
    .replace('{{PACKAGES}}', odooAptPackages().join(' '));
  return { dockerfile, tag: `fusion-billing/odoo:19.0-${key(dockerfile, odooTreeIdentity(options.odooSrc))}` };
}

async function buildBase(progress: ProgressCallback, suite = DEBIAN_SUITE): Promise<string> {
  const tag = baseTag(suite);
  if (imageExists(tag)) return tag;
  const dir = mkdtempSync(join(tmpdir(), 'fusion-debootstrap-'));
  try {
    progress(`images: debootstrap ${suite} (minbase) into ${dir}`);
    const strapped = await run('debootstrap', ['--variant=minbase', suite, dir, DEBIAN_MIRROR], progress, 15 * 60_000);
    if (!strapped.ok) throw new Error(`debootstrap failed: ${strapped.lastLine} (install it: apt-get install -y debootstrap)`);
    progress(`images: importing ${tag}`);
    const imported = await run('sh', ['-c', `tar -C '${dir}' -c . | docker import - '${tag}'`], progress, 10 * 60_000);
    if (!imported.ok) throw new Error(`docker import failed: ${imported.lastLine}`);
    return tag;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function buildPostgres(options: ImageOptions): Promise<string> {
  const { dockerfile, entrypoint, tag } = postgresRecipe();
  return buildFromFiles(
    tag,
    { Dockerfile: dockerfile, 'postgres-entrypoint.sh': entrypoint },
    DEBIAN_SUITE,
    options.progress ?? (() => {}),
  );
}

/** Builds `tag` over the Debian base of `suite` from a context holding just `files` (a Dockerfile and what it copies). */
async function buildFromFiles(tag: string, files: Record<string, string>, suite: string, progress: ProgressCallback): Promise<string> {
  if (imageExists(tag)) return tag;
  await buildBase(progress, suite);
  const context = mkdtempSync(join(tmpdir(), 'fusion-image-'));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(context, name), text);
    await build(tag, context, join(context, 'Dockerfile'), progress);
    return tag;
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}

async function buildOdoo(options: ImageOptions): Promise<string> {
  const progress = options.progress ?? (() => {});
  const { dockerfile, tag } = odooRecipe(options);
  if (imageExists(tag)) return tag;
  await buildBase(progress);
  // The Odoo tree is the build context; the Dockerfile comes from outside it.
  const dir = mkdtempSync(join(tmpdir(), 'fusion-odoo-image-'));
  try {
    writeFileSync(join(dir, 'Dockerfile'), dockerfile);
    progress(`images: building ${tag} from ${options.odooSrc} (the tree is copied in once)`);
    await build(tag, options.odooSrc, join(dir, 'Dockerfile'), progress);
    return tag;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function build(tag: string, context: string, dockerfile: string, progress: ProgressCallback): Promise<void> {
  progress(`images: building ${tag}`);
  // The engine's legacy builder: BuildKit is not part of Debian's docker.io here.
  const built = await run('docker', ['build', '--force-rm', '-t', tag, '-f', dockerfile, context], progress, 30 * 60_000, {
    DOCKER_BUILDKIT: '0',
  });
  if (!built.ok) throw new Error(`building ${tag} failed: ${built.lastLine}`);
}

export function imageExists(name: string): boolean {
  return spawnSync('docker', ['image', 'inspect', name], { stdio: 'ignore', timeout: 30_000 }).status === 0;
}

/** Runs a command, relaying its output as progress (throttled), with a timeout. */
function run(
  command: string,
  args: string[],
  progress: ProgressCallback,
  timeoutMs: number,
  env: NodeJS.ProcessEnv = {},
): Promise<{ ok: boolean; lastLine: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let lastLine = '';
    let lastShown = 0;
    const take = (chunk: Buffer) => {
      for (const line of chunk
        .toString('utf8')
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean)) {
        lastLine = line;
        // Build steps at once; other lines (package downloads) at most every 5 seconds.
        const step = /^Step \d+\/\d+ :/.test(line);
        if (step || Date.now() - lastShown > 5_000) {
          lastShown = Date.now();
          progress(`images: ${line.slice(0, 160)}`);
        }
      }
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve({ ok: false, lastLine: error.message });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ ok: code === 0, lastLine });
    });
  });
}
