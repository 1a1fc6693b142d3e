/**
 * Debian's Chromium for the browser tests, driven by playwright-core, and the repository served on
 * 127.0.0.1 by the same static server as `catoptric playground`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Browser, type Page, chromium } from 'playwright-core';
import { type StaticServer, serveStatic } from '../../src/cli/serve';

/** Where Debian puts it: `chromium-headless-shell` (apt) or the full `chromium`; `CHROMIUM` overrides. */
const CANDIDATES = ['/usr/lib/chromium/chromium-headless-shell', '/usr/lib/chromium/chromium', '/usr/bin/chromium-headless-shell', '/usr/bin/chromium'];

export const chromiumPath = (): string => {
  const p = process.env.CHROMIUM ?? CANDIDATES.find((c) => fs.existsSync(c));
  if (!p || !fs.existsSync(p))
    throw new Error(`no Chromium found (looked for ${process.env.CHROMIUM ?? CANDIDATES.join(', ')}); install it with \`apt-get install chromium-headless-shell\` or set CHROMIUM`);
  return p;
};

export interface Session {
  readonly browser: Browser;
  readonly server: StaticServer;
  /** A new page that records console errors and uncaught exceptions in `errors`. */
  page(viewport?: { width: number; height: number }): Promise<Page & { errors: string[] }>;
  close(): Promise<void>;
}

/** The repository root, served as `/`. */
export const ROOT = path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), '../..');

export const openSession = async (): Promise<Session> => {
  for (const f of ['dist/browser/catoptric.js', 'dist/playground/index.html'])
    if (!fs.existsSync(path.join(ROOT, f))) throw new Error(`${f} is missing: run \`npm run build:browser\` (npm run test:browser does)`);
  const browser = await chromium.launch({
    executablePath: chromiumPath(),
    // As root Chromium needs --no-sandbox; the rest keeps it off the (closed) network and quiet.
    // Playwright gives every launch a fresh, temporary profile (--user-data-dir) and removes it on close.
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const server = await serveStatic(ROOT);
  return {
    browser,
    server,
    async page(viewport = { width: 1600, height: 1000 }) {
      const p = (await browser.newPage({ viewport })) as Page & { errors: string[] };
      p.errors = [];
      p.on('console', (m) => {
        if (m.type() === 'error') p.errors.push(m.text());
      });
      p.on('pageerror', (e) => p.errors.push(e.message));
      return p;
    },
    async close() {
      await browser.close();
      await server.close();
    },
  };
};
