/** Option pieces the channels share, so every channel words the same mistake the same way. */
import { z } from 'zod';

function isHttpUrl(s: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(s).protocol);
  } catch {
    return false;
  }
}

export const httpUrl = z.string().refine(isHttpUrl, 'not a valid URL (expected http:// or https://)');

/** A provider's API base URL with its real default; set it for a self-hosted server, an EU region or a test. */
export const apiUrl = (real: string) => httpUrl.default(real).describe(`API base URL (default ${real})`);

/** A token, key or secret URL part: give it as `${env:NAME}` so it is redacted everywhere. */
export const secret = (what: string) => z.string().min(1, `required: ${what}`).describe(`${what}; a secret: use \${env:NAME}`);

export const timeout = z.number().int().min(100).max(120_000).default(10_000).describe('request timeout in ms');
