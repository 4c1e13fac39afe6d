import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A fresh unguessable value: 32 random bytes, base64url. */
export const randomToken = (bytes = 32) => randomBytes(bytes).toString('base64url');

export const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/** Constant-time string comparison (false when lengths differ). */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** API tokens look like `ht_<43 chars>`; the first 10 characters are kept in clear to tell tokens apart. */
export function newApiToken(): { token: string; hash: string; prefix: string } {
  const token = `ht_${randomToken()}`;
  return { token, hash: sha256(token), prefix: token.slice(0, 10) };
}
