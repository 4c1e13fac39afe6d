/**
 * A small pool of Chromium processes for browser runs. At most `concurrency` runs at once (apart from
 * the HTTP checks' own limit), each on a fresh browser context of one of the pool's browsers. A browser
 * is recycled (closed, a fresh one started) after `recycleAfterRuns` runs or once `recycleAfterMs` old,
 * and killed — its whole process group, SIGKILL — when a run on it hangs past its deadline, when it
 * uses more than `memoryLimitBytes`, or when the pool closes. Nothing outlives the pool.
 */
import { chromium, type Browser, type BrowserServer } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumProblem } from './chromium.js';
import { groupMemory, isAlive } from './memory.js';

export type PoolOptions = {
  executablePath: string;
  concurrency: number;
  recycleAfterRuns: number;
  recycleAfterMs: number;
  /** Most resident memory of one browser's processes; undefined: no cap. */
  memoryLimitBytes?: number;
  /** How often memory is looked at while runs go on (default 500 ms). */
  memoryEveryMs?: number;
  /** Longest wait for Chromium to start (default 30 s). */
  launchTimeoutMs?: number;
  now?: () => number;
  /** Set as HALFTIME_BROWSER_POOL in the browsers' environment, which every Chromium process inherits (default: `<pid>.<n>`, this process's pid and a count). */
  id?: string;
};

/** A run's hold on one browser. */
export type Lease = {
  browser: Browser;
  /** The browser's process id (its process group). */
  pid: number;
  /** Kills the browser (the process group) at once; the run's pending calls fail. The reason is kept for the run. */
  kill(reason: string): Promise<void>;
  /** Why the browser was killed during this lease, if it was. */
  killedBecause(): string | undefined;
  /** Peak resident memory of the browser's processes seen during the lease (bytes). */
  peakMemory(): number | undefined;
};

export type PoolStats = {
  /** Browsers running now, and runs on them. */
  browsers: number;
  busy: number;
  waiting: number;
  launched: number;
  recycled: number;
  killed: number;
  runs: number;
  /** Memory of each running browser's processes (bytes, PSS), from the latest look. */
  memory: number[];
  /** The process id (and process group) of each running browser. */
  pids: number[];
};

type Instance = {
  server: BrowserServer;
  browser: Browser;
  pid: number;
  runs: number;
  startedAt: number;
  busy: boolean;
  dead: boolean;
  killedBecause?: string;
  rss?: number;
  peak?: number;
};

export type BrowserPool = {
  /** Runs `fn` on a browser of the pool (waiting for a free one); the lease ends when `fn` settles. */
  use<T>(fn: (lease: Lease) => Promise<T>, opts?: { signal?: AbortSignal }): Promise<T>;
  stats(): PoolStats;
  /** The HALFTIME_BROWSER_POOL value this pool's Chromium processes carry (see memory.ts `poolProcesses`). */
  readonly id: string;
  /** Kills every browser and refuses new runs; resolves once their processes are gone. */
  close(): Promise<void>;
};

export class PoolClosed extends Error {
  override name = 'PoolClosed';
}

let pools = 0;

export function createBrowserPool(opts: PoolOptions): BrowserPool {
  const now = opts.now ?? Date.now;
  const id = opts.id ?? `${process.pid}.${++pools}`;
  const instances = new Set<Instance>();
  const waiting: { resolve: (i: Instance) => void; reject: (e: unknown) => void; signal?: AbortSignal }[] = [];
  const counts = { launched: 0, recycled: 0, killed: 0, runs: 0 };
  let launching = 0;
  let closed = false;
  let watchdog: NodeJS.Timeout | undefined;

  async function launch(): Promise<Instance> {
    const problem = chromiumProblem(opts.executablePath);
    if (problem) throw new Error(problem);
    const server = await chromium.launchServer({
      executablePath: opts.executablePath,
      args: CHROMIUM_ARGS,
      headless: true,
      // The endpoint stays on loopback (never all interfaces); signals are halftime's to handle.
      host: '127.0.0.1',
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
      timeout: opts.launchTimeoutMs ?? 30_000,
      env: { ...process.env, HALFTIME_BROWSER_POOL: id },
    });
    const pid = server.process().pid!;
    let browser: Browser;
    try {
      browser = await chromium.connect(server.wsEndpoint(), { timeout: opts.launchTimeoutMs ?? 30_000 });
    } catch (err) {
      await server.kill().catch(() => undefined);
      throw err;
    }
    counts.launched++;
    const inst: Instance = { server, browser, pid, runs: 0, startedAt: now(), busy: false, dead: false };
    server.process().once('exit', () => {
      inst.dead = true;
      if (!inst.busy) instances.delete(inst);
    });
    return inst;
  }

  async function kill(inst: Instance, reason?: string) {
    if (reason && !inst.killedBecause) inst.killedBecause = reason;
    inst.dead = true;
    // BrowserServer.kill sends SIGKILL to the process group and waits for the browser process to exit.
    await inst.server.kill().catch(() => undefined);
    try {
      process.kill(-inst.pid, 'SIGKILL');
    } catch {
      // the group is gone already
    }
  }

  /** Closes a browser that did its share; killed if it does not close within 5 s. */
  async function retire(inst: Instance) {
    instances.delete(inst);
    inst.dead = true;
    const closedInTime = await Promise.race([inst.server.close().then(() => true, () => false), new Promise<boolean>((r) => setTimeout(() => r(false), 5_000).unref())]);
    if (!closedInTime || isAlive(inst.pid)) await kill(inst);
  }

  const due = (i: Instance) => i.runs >= opts.recycleAfterRuns || now() - i.startedAt >= opts.recycleAfterMs;

  function checkMemory() {
    for (const inst of instances) {
      if (inst.dead) continue;
      const rss = groupMemory(inst.pid);
      inst.rss = rss;
      if (rss === undefined || !inst.busy) continue;
      inst.peak = Math.max(inst.peak ?? 0, rss);
      if (opts.memoryLimitBytes !== undefined && rss > opts.memoryLimitBytes) {
        const mb = (n: number) => `${Math.round(n / 1024 / 1024)} MB`;
        counts.killed++;
        void kill(inst, `the browser used ${mb(rss)} (all its processes), over its cap of ${mb(opts.memoryLimitBytes)} (browser.memoryLimit); it was killed`);
      }
    }
  }

  function startWatchdog() {
    if (watchdog || opts.memoryLimitBytes === undefined) return;
    watchdog = setInterval(checkMemory, opts.memoryEveryMs ?? 500);
    watchdog.unref();
  }

  async function acquire(signal?: AbortSignal): Promise<Instance> {
    if (closed) throw new PoolClosed('the browser pool is closed');
    for (const inst of instances) {
      if (inst.busy || inst.dead) continue;
      if (due(inst)) {
        counts.recycled++;
        void retire(inst);
        continue;
      }
      inst.busy = true;
      return inst;
    }
    if (instances.size + launching < opts.concurrency) {
      launching++;
      try {
        const inst = await launch();
        if (closed) {
          await kill(inst);
          throw new PoolClosed('the browser pool is closed');
        }
        inst.busy = true;
        instances.add(inst);
        startWatchdog();
        return inst;
      } finally {
        launching--;
      }
    }
    return new Promise<Instance>((resolve, reject) => {
      const w = { resolve, reject, signal };
      waiting.push(w);
      signal?.addEventListener('abort', () => {
        const i = waiting.indexOf(w);
        if (i >= 0) waiting.splice(i, 1);
        reject(signal.reason ?? new Error('aborted'));
      }, { once: true });
    });
  }

  function release(inst: Instance) {
    inst.busy = false;
    inst.runs++;
    counts.runs++;
    inst.peak = undefined;
    inst.killedBecause = undefined;
    if (inst.dead || !inst.server.process().pid || !isAlive(inst.pid)) {
      instances.delete(inst);
      void kill(inst);
    } else if (due(inst)) {
      counts.recycled++;
      void retire(inst);
    }
    // Hand a browser (or a slot for a new one) to the next waiting run.
    const next = waiting.shift();
    if (next) acquire(next.signal).then(next.resolve, next.reject);
  }

  return {
    id,
    async use(fn, useOpts = {}) {
      const inst = await acquire(useOpts.signal);
      const lease: Lease = {
        browser: inst.browser,
        pid: inst.pid,
        kill: (reason) => {
          counts.killed++;
          return kill(inst, reason);
        },
        killedBecause: () => inst.killedBecause,
        peakMemory: () => {
          const rss = inst.dead ? undefined : groupMemory(inst.pid);
          if (rss !== undefined) inst.peak = Math.max(inst.peak ?? 0, rss);
          return inst.peak;
        },
      };
      try {
        return await fn(lease);
      } finally {
        release(inst);
      }
    },
    stats: () => ({
      browsers: [...instances].filter((i) => !i.dead).length,
      busy: [...instances].filter((i) => i.busy).length,
      waiting: waiting.length,
      ...counts,
      memory: [...instances].filter((i) => !i.dead).map((i) => i.rss ?? groupMemory(i.pid) ?? 0),
      pids: [...instances].filter((i) => !i.dead).map((i) => i.pid),
    }),
    async close() {
      closed = true;
      if (watchdog) clearInterval(watchdog);
      for (const w of waiting.splice(0)) w.reject(new PoolClosed('the browser pool is closed'));
      await Promise.all([...instances].map((i) => kill(i)));
      instances.clear();
    },
  };
}
