import type { Page } from 'playwright-core';

/**
 * A JPEG of the page within `maxBytes`: first at quality 80, then lower, then the visible viewport
 * only at half scale. Returns undefined when even that is too large (or the page cannot be drawn).
 */
export async function takeScreenshot(page: Page, opts: { fullPage?: boolean; maxBytes: number; timeoutMs: number }): Promise<{ data: Uint8Array; mime: string } | undefined> {
  const tries: { quality: number; fullPage: boolean; scale?: 'css' }[] = [
    { quality: 80, fullPage: !!opts.fullPage },
    { quality: 50, fullPage: !!opts.fullPage },
    { quality: 30, fullPage: false, scale: 'css' },
  ];
  const timeout = Math.min(opts.timeoutMs, 10_000);
  for (const t of tries) {
    const buf = await page.screenshot({ type: 'jpeg', quality: t.quality, fullPage: t.fullPage, scale: t.scale, timeout, animations: 'disabled', caret: 'hide' });
    // A copy of its own (not a view into a pooled buffer), so it can be handed to another thread.
    if (buf.length <= opts.maxBytes) return { data: new Uint8Array(buf), mime: 'image/jpeg' };
  }
  return undefined;
}
