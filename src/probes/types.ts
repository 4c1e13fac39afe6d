/** Plain result objects the probes return. They know nothing of storage, web or alerting. */

/** Milliseconds spent in each phase. For a request on a kept-alive connection dns/connect/tls are 0. */
export type Timings = {
  dns: number;
  connect: number;
  tls: number;
  /** The request written to the socket to the first response byte read from it (as curl's starttransfer − pretransfer). */
  ttfb: number;
  /** First response byte to last byte: the rest of the headers and the body. */
  download: number;
  /** From the moment the step was meant to start to the last byte, redirects included. */
  total: number;
};

export type FailureCode =
  | 'timeout'
  | 'refused'
  | 'reset'
  | 'dns'
  | 'tls'
  | 'status'
  | 'assertion'
  | 'body_too_large'
  | 'redirects'
  | 'network'
  /** The target answered with something that is not usable HTTP (garbage, oversized headers, an invalid redirect, an undecodable body). */
  | 'protocol'
  /** halftime itself failed while running the step (a bug): stored so it shows, instead of losing the run. */
  | 'internal'
  | 'aborted'
  | 'config'
  | 'extract'
  | 'csrf'
  | 'template'
  | 'assets'
  /** A heartbeat monitor's job did not ping within every + grace. */
  | 'missed'
  /** A heartbeat monitor's job pinged with status=fail. */
  | 'reported'
  /** A browser step: the element was not found, not visible or not in the state asked for in time. */
  | 'locator'
  /** A browser crashed, or used more memory than its cap, and was killed. */
  | 'browser';

export type Failure = { code: FailureCode; message: string };

/** One checked condition, kept whether it passed or not. */
export type Evidence = { what: string; expected: string; actual: string; pass: boolean };

export type StepResult = {
  index: number;
  name: string;
  method: string;
  url: string;
  /** Epoch ms when the step started. */
  startedAt: number;
  ok: boolean;
  status?: number;
  failure?: Failure;
  timings: Timings;
  /** Bytes of body received on the wire (all hops). */
  bytes: number;
  redirects: number;
  headers: Record<string, string>;
  evidence: Evidence[];
  /** Variables this step extracted (secret ones shown as [redacted]). */
  extracted?: Record<string, string>;
  /** The page's assets, when the step fetched them (timed apart from the page itself). */
  assets?: AssetSummary;
  /** The task this step belongs to, when the persona picks tasks. */
  task?: string;
  /** True when the step ran only because it is marked alwaysRun (after an earlier failure). */
  afterFailure?: boolean;
  /** The span id this step's requests carried in `traceparent` (16 hex digits), when the run is traced. */
  spanId?: string;
  /** The certificate the step's (last) https connection presented, and whether it was valid. */
  tls?: CertificateInfo;
  /** A browser step: what it did, the pages it opened (with their Web Vitals) and, on failure, where it stood. */
  browser?: BrowserStepDetail;
};

/** A server's certificate as one connection saw it: kept with the step, judged by the certificate alert. */
export type CertificateInfo = {
  /** The name checked against the certificate (SNI, else the host). */
  host: string;
  port: number;
  /** Subject common name (or the whole subject when it has none). */
  subject: string;
  /** Subject alternative names, as `DNS:example.com` / `IP Address:127.0.0.1`. */
  altNames: string[];
  /** Issuer common name and organisation. */
  issuer: string;
  /** Epoch ms. */
  validFrom: number;
  validTo: number;
  /** Days from the check to validTo (one decimal); negative once expired. */
  daysLeft: number;
  serial: string;
  fingerprint256: string;
  /** The certificates above it, as the server sent them (and the trusted root when known). */
  chain: { subject: string; issuer: string; validTo: number }[];
  /** The chain leads to a trusted root (the system's, or the monitor's `ca`) and no certificate in it has expired. */
  chainValid: boolean;
  /** The certificate names `host`. */
  hostnameValid: boolean;
  /** Why it is not valid, e.g. `certificate has expired (CERT_HAS_EXPIRED)`. */
  error?: string;
  /** TLS version negotiated, e.g. TLSv1.3. */
  protocol?: string;
};

/** Web Vitals of one page, as the page measured them (web-vitals): ms, except CLS (unitless). */
export type Vitals = { ttfb?: number; fcp?: number; lcp?: number; cls?: number; inp?: number; tbt?: number };
export const VITAL_NAMES = ['ttfb', 'fcp', 'lcp', 'cls', 'inp', 'tbt'] as const;
export type VitalName = (typeof VITAL_NAMES)[number];

/** One document a browser step loaded: its vitals, requests and what went wrong on it. */
export type PageView = {
  url: string;
  vitals: Vitals;
  /** Requests the page made (the document itself included) and bytes received for them (headers and bodies). */
  requests: number;
  bytes: number;
  /** Requests that failed on the network or were answered 4xx/5xx (at most 20 kept). */
  failedRequests: { url: string; status?: number; error?: string }[];
  /** console.error messages and uncaught exceptions (at most 20 kept). */
  consoleErrors: string[];
  /** The element behind LCP, the largest layout shift and the slowest interaction (web-vitals' attribution). */
  attribution?: { lcp?: string; cls?: string; inp?: string };
};

export type BrowserStepDetail = {
  /** The action (`goto`, `click`, …, or `script` for a script's step). */
  action: string;
  /** Pages navigated to during this step. */
  pages: PageView[];
  /** The locator the step waited for, when it failed on it. */
  locator?: string;
  /** The page's URL when the step ended (kept on failure). */
  lastUrl?: string;
  /** Console errors and failed requests seen while the step ran (kept on failure, at most 10 each). */
  consoleErrors?: string[];
  failedRequests?: { url: string; status?: number; error?: string }[];
  /** Names of the artifacts (screenshots) this step left in `RunResult.artifacts`. */
  artifacts?: string[];
};

/** A file a run produced: a screenshot (kept with the run), or a Playwright trace (`halftime run --trace`). */
export type Artifact = { name: string; step: number; mime: string; data: Uint8Array };

/** The CSS, JS, images and fonts a page pulled in: fetched in parallel, timed one by one. */
export type AssetSummary = {
  /** Assets fetched. */
  count: number;
  /** Assets not fetched again because this visitor had them cached from an earlier page. */
  cached: number;
  failed: number;
  /** Bytes on the wire, all assets. */
  bytes: number;
  /** Wall time from the first asset request to the last byte of the last asset. */
  totalMs: number;
  slowest?: { url: string; ms: number };
  /** Epoch ms the first asset request went out. */
  startedAt?: number;
  /** `at`: ms from the first asset request to this one's start. */
  items: { url: string; status?: number; bytes: number; ms: number; at?: number; error?: string }[];
};

export type RunResult = {
  monitorId: string;
  /** Epoch ms the scheduler meant this run to start. */
  plannedAt: number;
  /** Epoch ms the run actually started. */
  startedAt: number;
  durationMs: number;
  ok: boolean;
  failure?: Failure & { step?: number };
  steps: StepResult[];
  /** The persona that ran (monitors with personas). */
  persona?: string;
  /** The tasks the persona picked, in order. */
  tasks?: string[];
  /** The seed of this run's random choices (repeat it with --seed). */
  seed?: number;
  /** Where it was measured from (the node's `--location`); absent or '' for a single node. */
  location?: string;
  /**
   * The largest delay (ms) the measuring thread's event loop had while this run was in flight: a
   * probe callback may have waited that long, so up to that much of the latency can be our own.
   */
  loopDelayMs?: number;
  /** W3C trace id (32 hex digits) every request of this run carried in `traceparent`; absent when the run is not traced. */
  traceId?: string;
  /** The run's own (root) span id, parent of the steps' spans. */
  spanId?: string;
  /** Browser runs: screenshots (on failure, and `screenshot` steps). */
  artifacts?: Artifact[];
  /** Browser runs: peak memory of the browser's processes during the run (bytes), when it could be read. */
  browserMemory?: number;
};

export const zeroTimings = (): Timings => ({ dns: 0, connect: 0, tls: 0, ttfb: 0, download: 0, total: 0 });
