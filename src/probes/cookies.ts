import { CookieJar } from 'tough-cookie';

/**
 * The cookies of one visitor (a run, or every run when the monitor keeps its session), kept by
 * tough-cookie: domain, path, expiry, Secure and SameSite rules as a browser applies them.
 */
export type Cookies = {
  /** The Cookie header to send to this URL ('' when none). */
  header(url: string): string;
  /** Stores every Set-Cookie of a response from this URL; malformed ones are ignored. */
  store(url: string, setCookie: string | string[] | undefined): void;
  /** Value of a cookie that would be sent to this URL. */
  get(url: string, name: string): string | undefined;
  /** Names of the cookies that would be sent to this URL. */
  names(url: string): string[];
  clear(): void;
};

export function createCookies(): Cookies {
  let jar = new CookieJar();
  // Until a cookie is kept there is nothing to look up: the jar's lookup (URL parse, domain and
  // path matching) costs about as much as a burst's whole request handling otherwise would.
  let empty = true;
  return {
    header(url) {
      return empty ? '' : jar.getCookieStringSync(url);
    },
    store(url, setCookie) {
      if (!setCookie) return;
      for (const c of Array.isArray(setCookie) ? setCookie : [setCookie]) {
        try {
          if (jar.setCookieSync(c, url, { ignoreError: true })) empty = false;
        } catch {
          /* a cookie the jar refuses is simply not kept, as in a browser */
        }
      }
    },
    get(url, name) {
      return empty ? undefined : jar.getCookiesSync(url).find((c) => c.key === name)?.value;
    },
    names(url) {
      return empty ? [] : jar.getCookiesSync(url).map((c) => c.key);
    },
    clear() {
      jar = new CookieJar();
      empty = true;
    },
  };
}
