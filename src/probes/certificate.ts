/**
 * What a TLS connection's certificate says, read from the socket once the handshake is done: the
 * certificate, its chain, days until it expires, and whether the chain is trusted and names the host.
 * Connections are opened with verification on our side (not OpenSSL's reject), so a certificate that
 * fails is still described — an expired certificate's date is the evidence.
 */
import { checkServerIdentity, rootCertificates, type DetailedPeerCertificate, type TLSSocket } from 'node:tls';
import type { CertificateInfo } from './types.js';

const DAY = 86_400_000;

/** OpenSSL's words for the verification failures a certificate check meets (node keeps only the code when it does not reject). */
const REASONS: Record<string, string> = {
  CERT_HAS_EXPIRED: 'certificate has expired',
  CERT_NOT_YET_VALID: 'certificate is not yet valid',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in certificate chain',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'unable to verify the first certificate',
  UNABLE_TO_GET_ISSUER_CERT: 'unable to get issuer certificate',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'unable to get local issuer certificate',
  CERT_SIGNATURE_FAILURE: 'certificate signature failure',
  CERT_REVOKED: 'certificate revoked',
  CERT_UNTRUSTED: 'certificate not trusted',
  CERT_REJECTED: 'certificate rejected',
  INVALID_CA: 'invalid CA certificate',
  PATH_LENGTH_EXCEEDED: 'path length constraint exceeded',
  INVALID_PURPOSE: 'unsupported certificate purpose',
};

const HOSTNAME_CODE = 'ERR_TLS_CERT_ALTNAME_INVALID';

const name = (n: Record<string, string | string[]> | undefined): string => {
  if (!n) return '';
  const pick = (k: string) => (Array.isArray(n[k]) ? (n[k] as string[]).join(', ') : n[k]);
  if (n.CN) return [pick('CN'), n.O ? `(${pick('O')})` : ''].filter(Boolean).join(' ');
  return Object.entries(n)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`)
    .join(', ');
};

const time = (s: string | undefined) => {
  const t = s ? Date.parse(s) : NaN;
  return Number.isFinite(t) ? t : 0;
};

/**
 * The certificate of a secured socket, judged for `host` (SNI or the connection's host). `trusted`:
 * the verification the connection itself made (socket.authorized) — with the monitor's `ca` when it has one.
 */
export function describeCertificate(socket: TLSSocket, host: string, port: number, now = Date.now()): CertificateInfo | undefined {
  const cert = socket.getPeerCertificate(true) as DetailedPeerCertificate | null;
  if (!cert || Object.keys(cert).length === 0) return undefined;
  const code = socket.authorized ? undefined : String(socket.authorizationError ?? 'CERT_UNTRUSTED');
  // Node checks the name only once the chain is trusted: check it here too, so both are always known.
  const identity = checkServerIdentity(host, cert);
  const chainValid = code === undefined || code === HOSTNAME_CODE;
  const chain: CertificateInfo['chain'] = [];
  const seen = new Set([cert.fingerprint256]);
  for (let c = cert.issuerCertificate; c && !seen.has(c.fingerprint256) && chain.length < 10; c = c.issuerCertificate) {
    seen.add(c.fingerprint256);
    chain.push({ subject: name(c.subject as never), issuer: name(c.issuer as never), validTo: time(c.valid_to) });
  }
  const validTo = time(cert.valid_to);
  let error: string | undefined;
  if (!chainValid) error = `${REASONS[code!] ?? code!.toLowerCase().replace(/_/g, ' ')} (${code})`;
  else if (identity) error = `${identity.message} (${HOSTNAME_CODE})`;
  return {
    host,
    port,
    subject: name(cert.subject as never),
    altNames: (cert.subjectaltname ?? '')
      .split(/,\s*/)
      .filter(Boolean)
      .slice(0, 100),
    issuer: name(cert.issuer as never),
    validFrom: time(cert.valid_from),
    validTo,
    daysLeft: Math.round(((validTo - now) / DAY) * 10) / 10,
    serial: cert.serialNumber ?? '',
    fingerprint256: cert.fingerprint256 ?? '',
    chain,
    chainValid,
    hostnameValid: !identity,
    ...(error ? { error } : {}),
    protocol: socket.getProtocol() ?? undefined,
  };
}

/** The error a connection fails with when its certificate is not valid: a TLS code classifyError knows. */
export function certificateError(info: CertificateInfo): Error {
  const m = /\(([A-Z0-9_]+)\)$/.exec(info.error ?? '');
  const code = m?.[1] ?? 'CERT_UNTRUSTED';
  return Object.assign(new Error(info.error ? info.error.replace(/ \([A-Z0-9_]+\)$/, '') : 'certificate not trusted'), { code });
}

/** Trusted roots: the bundled ones plus the monitor's own (a `ca` given alone would replace them). */
export function trustedRoots(extra: string | undefined): string[] | undefined {
  return extra ? [...rootCertificates, extra] : undefined;
}
