/**
 * An OTLP/HTTP sink for observe.bench.ts, in its own process so its work is not counted as the
 * client's: it reads each request whole and answers 200 (an empty protobuf response), like a
 * collector that keeps up. Exits when its parent goes away.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
});
server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }));
process.on('disconnect', () => process.exit(0));
