import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { type StaticServer, serveStatic } from '../src/cli/serve';
import { run } from '../src/cli/run';
import type { Io } from '../src/cli/io';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'catoptric-serve-'));
fs.mkdirSync(path.join(dir, 'site', 'playground'), { recursive: true });
fs.writeFileSync(path.join(dir, 'site', 'playground', 'index.html'), '<p>hi</p>');
fs.writeFileSync(path.join(dir, 'site', 'a.js'), 'export {}');
fs.writeFileSync(path.join(dir, 'secret.txt'), 'outside');
let srv: StaticServer;
beforeAll(async () => {
  srv = await serveStatic(path.join(dir, 'site'), { index: '/playground/' });
});
afterAll(async () => {
  await srv.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A raw GET, so the path reaches the server as written (fetch would normalise `..`). */
const get = (p: string) =>
  new Promise<{ status: number; type?: string; location?: string; body: string }>((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: srv.port, path: p }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, type: res.headers['content-type'], location: res.headers.location, body }));
    }).on('error', reject);
  });

describe('the static server of `catoptric playground`', () => {
  it('listens on 127.0.0.1 and serves files with their types', async () => {
    expect(srv.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(await get('/a.js')).toMatchObject({ status: 200, type: 'text/javascript; charset=utf-8', body: 'export {}' });
    expect(await get('/playground/')).toMatchObject({ status: 200, type: 'text/html; charset=utf-8', body: '<p>hi</p>' });
    expect(await get('/')).toMatchObject({ status: 302, location: '/playground/' });
    expect(await get('/playground')).toMatchObject({ status: 301, location: '/playground/' });
  });
  it('serves nothing outside its folder and nothing missing', async () => {
    for (const p of ['/../secret.txt', '/%2e%2e/secret.txt']) expect((await get(p)).body).not.toContain('outside');
    // An encoded slash survives URL parsing and would climb out once decoded.
    expect(await get('/..%2fsecret.txt')).toMatchObject({ status: 403 });
    expect((await get('/nope.js')).status).toBe(404);
  });
  it('the command refuses bad flags and a folder with no built playground, with a message', async () => {
    let err = '';
    const io: Io = { out: () => {}, err: (s) => void (err += s), errIsTTY: false, readFile: () => '', writeFile: () => {}, now: () => 0 };
    expect(await run(['playground', '--prot', '1'], io)).toBe(1);
    expect(err).toMatch(/unknown option --prot \(did you mean --port\?\)/);
    err = '';
    expect(await run(['playground', '--dir', dir], io)).toBe(1);
    expect(err).toContain('no built playground');
  });
});
