// Acceptance suite against a real Odoo 19: slow, one file at a time, one Odoo process at a time.
// Run through `npm run acceptance` (harness/run-acceptance.mjs), which skips it when the doctor fails.
import { odooSuiteConfig } from './odoo-suite-config.ts';

export default odooSuiteConfig('harness/acceptance/**/*.test.ts', 30);
