/**
 * A small pool of Chromium processes for browser runs. At most `concurrency` runs at once (apart from
 * the HTTP checks' own limit), each on a fresh browser context of one of the pool's browsers. A browser
 * is recycled (closed, a fresh one started) after `recycleAfterRuns` runs or once `recycleAfterMs` old,
 * and killed — its whole process group, SIGKILL — when a run on it hangs past its deadline, when it
 * uses more than `memoryLimitBytes`, or when the pool closes. Nothing outlives the pool.
 */
import { getPriority, setPriority } from 'node:os';
import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumProblem } from './chromium.js';
import { findProcess, groupMemory, groupPids, isAlive } from './memory.js';

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
  /** Niceness of the browsers' processes (0–19; default 0): 10 lets halftime's own threads go first on a busy CPU. */
  nice?: number;
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
  browser: Browser;
  pid: number;
  runs: number;
  startedAt: number;
  busy: boolean;
  dead: boolean;
  killedBecause?: string;
  rss?: number;
  peak?: number;
  /** Aborted (with the reason) when the browser is killed. */
  killed: AbortController;
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

/**
 * A run whose browser was killed and that did not end by itself soon after: a killed Chromium whose
 * pipe some leftover process still holds can leave Playwright's calls pending for good.
 */
export class BrowserKilled extends Error {
  override name = 'BrowserKilled';
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** How long a run may go on after its browser was killed before `use` gives up on it. */
const AFTER_KILL_MS = 2_000;
/** How long closing a killed browser's connection may take. */
const CLOSE_KILLED_MS = 2_000;

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

  let launches = 0;
  async function launch(): Promise<Instance> {
    const problem = chromiumProblem(opts.executablePath);
    if (problem) throw new Error(problem);
    // Chromium ignores a switch it does not know: this one finds the browser's process (Playwright keeps it to itself).
    const marker = `--halftime-browser=${id}.${++launches}`;
    const browser = await chromium.launch({
      executablePath: opts.executablePath,
      args: [...CHROMIUM_ARGS, marker],
      headless: true,
      // Signals are halftime's to handle (and a worker thread gets none).
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
      timeout: opts.launchTimeoutMs ?? 30_000,
      env: { ...process.env, HALFTIME_BROWSER_POOL: id },
    });
    const pid = findProcess(marker);
    if (pid === undefined) {
      await browser.close().catch(() => undefined);
      throw new Error('Chromium started but its process could not be found in /proc (halftime needs Linux /proc to watch and stop its browsers)');
    }
    lowerPriority(pid);
    counts.launched++;
    const inst: Instance = { browser, pid, runs: 0, startedAt: now(), busy: false, dead: false, killed: new AbortController() };
    browser.once('disconnected', () => {
      inst.dead = true;
      if (!inst.busy) instances.delete(inst);
    });
    return inst;
  }

  async function kill(inst: Instance, reason?: string) {
    if (reason && !inst.killedBecause) inst.killedBecause = reason;
    inst.dead = true;
    inst.killed.abort(inst.killedBecause ?? 'the browser was killed');
    // The whole process group at once: the browser, its GPU, network and renderer processes.
    try {
      process.kill(-inst.pid, 'SIGKILL');
    } catch {
      // the group is gone already
    }
    // Playwright sees the browser go and reaps its process (not waited on for ever: see BrowserKilled).
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([inst.browser.close().catch(() => undefined), new Promise((r) => (timer = setTimeout(r, CLOSE_KILLED_MS)))]);
    clearTimeout(timer);
  }

  /** Closes a browser that did its share; killed if it does not close within 5 s. */
  async function retire(inst: Instance) {
    instances.delete(inst);
    inst.dead = true;
    const closedInTime = await Promise.race([inst.browser.close().then(() => true, () => false), new Promise<boolean>((r) => setTimeout(() => r(false), 5_000).unref())]);
    if (!closedInTime || isAlive(inst.pid)) await kill(inst);
  }

  /**
   * Below the HTTP checks: Chromium's processes yield the CPU to halftime's own threads on a busy
   * machine. Chromium sets some of its processes' priorities itself (its GPU process higher, as root;
   * new renderers from its zygote), so this is done at launch and again at every watchdog tick.
   */
  function lowerPriority(pgid: number, pids = groupPids(pgid)) {
    if (!opts.nice) return;
    for (const p of pids) {
      try {
        if (getPriority(p) < opts.nice) setPriority(p, opts.nice);
      } catch {
        // ended meanwhile
      }
    }
  }

  const due = (i: Instance) => i.runs >= opts.recycleAfterRuns || now() - i.startedAt >= opts.recycleAfterMs;

  function checkMemory() {
    for (const inst of instances) {
      if (inst.dead) continue;
      const pids = groupPids(inst.pid);
      lowerPriority(inst.pid, pids);
      const rss = groupMemory(inst.pid, pids);
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
    if (watchdog || (opts.memoryLimitBytes === undefined && !opts.nice)) return;
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
    if (inst.dead || !isAlive(inst.pid)) {
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
      // Killed under the run: the run's pending calls normally fail at once and it ends with its step
      // blamed; if it has not ended AFTER_KILL_MS later, it ends here with the kill's reason.
      let timer: NodeJS.Timeout | undefined;
      let onKilled: (() => void) | undefined;
      const givenUp = new Promise<never>((_, reject) => {
        onKilled = () => (timer = setTimeout(() => reject(new BrowserKilled(String(inst.killed.signal.reason))), AFTER_KILL_MS));
        if (inst.killed.signal.aborted) onKilled();
        else inst.killed.signal.addEventListener('abort', onKilled, { once: true });
      });
      try {
        return await Promise.race([fn(lease), givenUp]);
      } finally {
        clearTimeout(timer);
        inst.killed.signal.removeEventListener('abort', onKilled!);
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
