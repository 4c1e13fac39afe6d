/**
 * The benchmarks' target: a tiny node:http server on 127.0.0.1, run in its own process (started by
 * `startTargetServer` in bench/support.ts) so it never shares an event loop with the client being
 * measured. It tells its parent the port over IPC, answers `{ type: 'stats' }` with its request
 * count and CPU time, and exits when the parent goes away.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const body = Buffer.from(`<!doctype html><title>bench</title><h1>Welcome</h1><p>${'x'.repeat(160)}</p>\n`);
let requests = 0;
let connections = 0;

const server = createServer((req, res) => {
  requests++;
  // Drain any request body before answering, as a real app would.
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': body.length });
    res.end(body);
  });
});
server.on('connection', () => connections++);
server.keepAliveTimeout = 30_000;

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.send?.({ type: 'ready', port });
});

process.on('message', (msg: { type?: string }) => {
  if (msg?.type === 'stats') {
    const cpu = process.cpuUsage();
    process.send?.({ type: 'stats', requests, connections, cpuUserMs: cpu.user / 1000, cpuSystemMs: cpu.system / 1000 });
  }
});

// The parent exiting (normally or not) closes the IPC channel: stop with it.
process.on('disconnect', () => {
  server.closeAllConnections();
  server.close();
  process.exit(0);
});
