import { performance } from 'node:perf_hooks';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { Agent, buildConnector } from 'undici';
import { hostAllowed } from '../lang/allow-hosts.js';
import { certificateError, describeCertificate, trustedRoots } from './certificate.js';
import { UNDICI_HEADER_LIMIT } from './exchange.js';
import type { CertificateInfo } from './types.js';

/**
 * Phase times of one new connection, from the socket's own events (performance.now() clock): the
 * connector was called (start), the name was looked up (lookup; none for an IP address), the first
 * connect call went to the kernel (attempt), TCP connected, TLS secured, the socket handed to undici.
 */
export type ConnectionTiming = {
  start: number;
  lookup?: number;
  attempt?: number;
  connected?: number;
  secured?: number;
  ready?: number;
  error?: boolean;
  /** The certificate a TLS connection was shown (also when it was refused for it). */
  certificate?: CertificateInfo;
};

/**
 * The connections of one run: a new visitor opens fresh connections (so DNS, connect and TLS are
 * measured, as a real first visit pays them) and keeps them alive for the rest of the run.
 */
export type Session = {
  dispatcher: Agent;
  /** 1: one connection per origin (requests queue on it); more: a pool, for parallel page assets. */
  connectionsPerOrigin: number;
  /** Connections opened so far in this session, in the order they were started. */
  connections: ConnectionTiming[];
  /** The certificate each https origin (`https://host:port`) last presented, for steps on kept-alive connections. */
  certificates: Map<string, CertificateInfo>;
  close(): Promise<void>;
};

export type SessionOptions = {
  /** Connections per origin, as a browser opens (default 6). */
  connectionsPerOrigin?: number;
  /** Accept any certificate: self-signed, expired, another host's (default false). It is still described. */
  insecureTls?: boolean;
  /** PEM certificates to trust besides the bundled roots (the monitor's `ca`). */
  ca?: string;
  /**
   * Only open connections to these hosts (`load.allowHosts` entries: host, or host:port). Checked
   * once per new connection, so every request — redirect hops and page assets included — is covered.
   */
  allowHosts?: readonly string[];
};

/** A connection refused because its host is not on the session's allowlist. */
export class HostNotAllowedError extends Error {
  constructor(hostPort: string) {
    super(`host not in load.allowHosts: ${hostPort}`);
    this.name = 'HostNotAllowedError';
  }
}

const DEFAULT_PORT: Record<string, string> = { 'http:': '80', 'https:': '443' };

export function createSession(opts: SessionOptions = {}): Session {
  const connections: ConnectionTiming[] = [];
  const connectionsPerOrigin = opts.connectionsPerOrigin ?? 6;
  const certificates = new Map<string, CertificateInfo>();
  // Verification is judged here, after the handshake, rather than by OpenSSL's reject: a refused
  // certificate is still described (its dates and names are the evidence), and the name is always checked.
  const base = buildConnector({ rejectUnauthorized: false, maxCachedSessions: 0, ...(opts.ca ? { ca: trustedRoots(opts.ca) } : {}) });
  const allow = opts.allowHosts;
  const connect: buildConnector.connector = (params, callback) => {
    if (allow && !hostAllowed(`${params.protocol}//${params.host ?? params.hostname}`, allow)) {
      callback(new HostNotAllowedError(`${params.hostname}:${params.port || DEFAULT_PORT[params.protocol] || ''}`), null);
      return;
    }
    const timing: ConnectionTiming = { start: performance.now() };
    connections.push(timing);
    const socket = base(params, (...args) => {
      // The phase ended when the socket was handed over, not after our own look at the certificate.
      const at = performance.now();
      const secured = args[1] as unknown as TLSSocket | null;
      const describe = () => {
        const info = describeCertificate(secured!, (params.servername || params.hostname).replace(/^\[|\]$/g, ''), Number(params.port) || 443);
        if (info) {
          timing.certificate = info;
          certificates.set(`${params.protocol}//${params.host}`, info);
        }
        return info;
      };
      if (!args[0] && secured?.encrypted && !secured.authorized) {
        // Not trusted by OpenSSL (or not naming the host): described, then refused unless the session accepts anything.
        const info = describe();
        if (!opts.insecureTls) {
          timing.secured ??= at;
          timing.error = true;
          secured.destroy();
          callback(info ? certificateError(info) : Object.assign(new Error('the server presented no certificate halftime can verify'), { code: String(secured.authorizationError ?? 'CERT_UNTRUSTED') }), null);
          return;
        }
      }
      if (args[0]) timing.error = true;
      else {
        timing.ready = at;
        // undici's own 'connect' (TCP) or 'secureConnect' (TLS) listener calls us back before our
        // listeners below run, and it sends the request first: the phase ended now, not after that.
        if (secured?.encrypted) timing.secured ??= timing.ready;
        else timing.connected ??= timing.ready;
      }
      callback(...args);
      // A trusted certificate is read once the request is on its way: its ~0.2 ms of parsing is
      // not in the handshake's time, nor before the request is written.
      if (!args[0] && secured?.encrypted && secured.authorized) describe();
    }) as unknown as Socket;
    socket.once('lookup', () => (timing.lookup ??= performance.now()));
    // Connect time starts here, at the connect call itself, not when the connector was entered: the
    // socket's set-up before it (and an event-loop turn, for an IP address) is ours, not the target's.
    socket.once('connectionAttempt', () => (timing.attempt ??= performance.now()));
    socket.once('connect', () => (timing.connected ??= performance.now()));
    socket.once('secureConnect', () => (timing.secured ??= performance.now()));
    return socket;
  };
  const dispatcher = new Agent({
    connect,
    connections: connectionsPerOrigin,
    keepAliveTimeout: 30_000,
    // Header size is limited by the exchange, on the socket's bytes (see MAX_HEADER_BYTES).
    maxHeaderSize: UNDICI_HEADER_LIMIT,
    // Our own AbortSignal bounds each step; these only stop undici from waiting forever.
    headersTimeout: 0,
    bodyTimeout: 0,
  });
  return {
    dispatcher,
    connectionsPerOrigin,
    connections,
    certificates,
    async close() {
      await dispatcher.destroy().catch(() => undefined);
    },
  };
}
