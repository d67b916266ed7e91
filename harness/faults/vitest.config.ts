// The fault suite against a real Odoo 19: one scenario file at a time, one Odoo at a time.
// Run through `npm run faults` (harness/run-faults.mjs), which prints the table of their rows.
import { odooSuiteConfig } from '../odoo-suite-config.ts';

export default odooSuiteConfig('harness/faults/**/*.fault.ts', 60);
