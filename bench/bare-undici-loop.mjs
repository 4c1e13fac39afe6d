// The peer of a whole `halftime load` process: a bare undici Pool loop as its own plain-JS process
// (no tsx, no config, no worker thread), `connections` concurrent loops of GET / for `seconds`.
//   node bench/bare-undici-loop.mjs http://127.0.0.1:3000 50 15
// Prints one JSON line: requests and the loop's own seconds.
import { Pool } from 'undici';

const [url, connections, seconds] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const pool = new Pool(url, { connections, pipelining: 1 });
let requests = 0;
const t0 = performance.now();
const end = t0 + seconds * 1000;
await Promise.all(
  Array.from({ length: connections }, async () => {
    while (performance.now() < end) {
      const res = await pool.request({ path: '/', method: 'GET' });
      await res.body.dump();
      requests++;
    }
  }),
);
const loopSeconds = (performance.now() - t0) / 1000;
await pool.close();
console.log(JSON.stringify({ requests, loopSeconds }));
