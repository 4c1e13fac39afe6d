/**
 * How much memory a browser takes: the proportional set size (PSS) of every process in its process
 * group — Playwright starts Chromium as a group leader, and its GPU, network and renderer processes
 * stay in the group. PSS shares each shared page among the processes mapping it, so the sum is the
 * memory the browser really holds (summed RSS would count Chromium's shared code once per process,
 * about twice as much). Linux /proc only; elsewhere it answers undefined and the cap is not enforced.
 */
import { readdirSync, readFileSync } from 'node:fs';

const PAGE = 4096;

/** The pids of the processes whose process group is `pgid` (the browser's own pid). */
export function groupPids(pgid: number): number[] {
  const out: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const e of entries) {
    if (e.charCodeAt(0) < 48 || e.charCodeAt(0) > 57) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'latin1');
      // pid (comm) state ppid pgrp …; comm may hold spaces and parentheses, so read after the last ')'.
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(rest[2]) === pgid) out.push(Number(e));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

/** One process's PSS in bytes (its RSS where smaps_rollup is not there), 0 when it ended meanwhile. */
function processMemory(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'latin1'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // no smaps_rollup (old kernel) or the process ended: try statm
  }
  try {
    return Number(readFileSync(`/proc/${pid}/statm`, 'latin1').split(' ')[1]) * PAGE;
  } catch {
    return 0;
  }
}

/** Memory of all processes in the group (bytes, PSS), or undefined when /proc cannot tell. */
export function groupMemory(pgid: number, pids = groupPids(pgid)): number | undefined {
  if (pids.length === 0) return undefined;
  let bytes = 0;
  for (const pid of pids) bytes += processMemory(pid);
  return bytes;
}

/** True while a process with this pid exists (and is not a zombie). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/**
 * Pids of the live processes started by the browser pool `poolId` (they carry HALFTIME_BROWSER_POOL=poolId),
 * whatever their group; with `{ ofProcess: pid }`, by any pool that process started (ids `<pid>.<n>`).
 */
export function poolProcesses(poolId: string | { ofProcess: number }): number[] {
  const marker = typeof poolId === 'string' ? `HALFTIME_BROWSER_POOL=${poolId}\0` : `HALFTIME_BROWSER_POOL=${poolId.ofProcess}.`;
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (e.charCodeAt(0) < 48 || e.charCodeAt(0) > 57) continue;
    try {
      if (readFileSync(`/proc/${e}/environ`, 'latin1').includes(marker) && isAlive(Number(e))) out.push(Number(e));
    } catch {
      // another user's process, or it ended
    }
  }
  return out;
}

/** The process group of a live process, or undefined. */
export function processGroup(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  } catch {
    return undefined;
  }
}

/** The live process (a child of this one) whose command line holds `arg`. */
export function findProcess(arg: string): number | undefined {
  for (const e of readdirSync('/proc')) {
    if (e.charCodeAt(0) < 48 || e.charCodeAt(0) > 57) continue;
    try {
      if (!readFileSync(`/proc/${e}/cmdline`, 'latin1').split('\0').includes(arg)) continue;
      const stat = readFileSync(`/proc/${e}/stat`, 'latin1');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === process.pid) return Number(e);
    } catch {
      // ended meanwhile, or not ours to read
    }
  }
  return undefined;
}
