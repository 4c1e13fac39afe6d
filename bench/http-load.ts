/**
 * A load client in its own process (so it never shares an event loop with the server it measures):
 * autocannon against a list of paths on one origin, each request taking the next path in turn.
 *
 *   node --import tsx bench/http-load.ts '{"url":"http://127.0.0.1:3000","paths":["/a","/b"],"connections":1,"seconds":10}'
 *
 * Prints one JSON line: requests, req/s, latency p50/p90/p99 (ms, autocannon's histogram, 1 ms
 * resolution below 1 s… as autocannon reports it), mean, non-2xx and errors.
 */
type Args = { url: string; paths: string[]; connections: number; seconds: number; headers?: Record<string, string> };
const args = JSON.parse(process.argv[2]) as Args;
const lib = 'autocannon'; // untyped CommonJS; imported by name so the type checker leaves it alone
const { default: autocannon } = (await import(lib)) as { default: (o: object) => Promise<any> };
let next = 0;
const r = await autocannon({
  url: args.url,
  connections: args.connections,
  duration: args.seconds,
  headers: args.headers ?? {},
  requests: [{ method: 'GET', setupRequest: (req: { path: string }) => ({ ...req, path: args.paths[next++ % args.paths.length] }) }],
});
console.log(
  JSON.stringify({
    requests: r.requests.total,
    rps: r.requests.total / args.seconds,
    p50: r.latency.p50,
    p90: r.latency.p90,
    p99: r.latency.p99,
    mean: r.latency.mean,
    non2xx: r.non2xx,
    errors: r.errors,
  }),
);
