/** Host allowlists (`load.allowHosts`): an entry `host` allows any port, `host:port` only that port. */

const DEFAULT_PORT: Record<string, string> = { 'http:': '80', 'https:': '443' };

/** `host` and `host:port` forms of a URL, lowercase (IPv6 in brackets). */
export function hostForms(url: string): { host: string; hostPort: string } {
  const u = new URL(url);
  const host = u.hostname.toLowerCase();
  return { host, hostPort: `${host}:${u.port || DEFAULT_PORT[u.protocol] || ''}` };
}

/** True when the URL's host is on the list: an entry `host` allows any port, `host:port` only that port. */
export function hostAllowed(url: string, allowHosts: readonly string[]): boolean {
  let forms;
  try {
    forms = hostForms(url);
  } catch {
    return false;
  }
  return allowHosts.some((entry) => {
    const e = entry.trim().toLowerCase();
    return e === forms.host || e === forms.hostPort;
  });
}
