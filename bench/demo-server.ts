/** Starts the demo shop without simulated delays on a free port and prints its URL (for benchmarks, in a child process). */
import { startDemoApp } from '../examples/demo-app.js';

const demo = await startDemoApp({ port: 0, delays: false });
process.stdout.write(demo.url + '\n');
process.on('SIGTERM', () => void demo.close().then(() => process.exit(0)));
process.stdin.on('end', () => void demo.close().then(() => process.exit(0)));
process.stdin.resume();
