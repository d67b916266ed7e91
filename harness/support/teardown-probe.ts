// A process that starts the runtime of FUSION_RUNTIME, creates a database and serves it, then waits
// to be interrupted (or, with `fail`, throws as a failing test would): the teardown test checks
// that it leaves nothing behind. Prints one JSON line when ready: its work directory and server.
import { createRuntime } from '../runtime/index.ts';

const mode = process.argv[2] ?? 'wait';
const runtime = createRuntime();
await runtime.start((message) => process.stderr.write(`  ${message}\n`));
await runtime.createDatabase('teardown_probe');
const server = await runtime.startServer('teardown_probe');
console.log(JSON.stringify({ ready: true, workDir: runtime.workDir, baseUrl: server.baseUrl, pid: process.pid }));
if (mode === 'fail') throw new Error('a failure after start, as in a failing test');
setInterval(() => {}, 60_000);
