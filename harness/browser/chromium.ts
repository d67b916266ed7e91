// Debian's chromium driven by playwright-core (never a browser download). Absent: the browser
// suite says so and why, like the Odoo suites without Odoo.
import { existsSync } from 'node:fs';

export const CHROMIUM = process.env.FUSION_CHROMIUM ?? '/usr/bin/chromium';

/** Why the browser suite cannot run here, or undefined. */
export function chromiumProblem(): string | undefined {
  return existsSync(CHROMIUM) ? undefined : `no Chromium at ${CHROMIUM} (apt-get install chromium, or set FUSION_CHROMIUM)`;
}
