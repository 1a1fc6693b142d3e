/**
 * A static file server for the playground and the browser tests: files under one folder, read-only,
 * on a loopback address by default. Nothing else (no directory listings, no writes).
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

export interface StaticServer {
  /** `http://host:port/`. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export interface ServeOptions {
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  /** Where `/` redirects (e.g. `/playground/`). */
  readonly index?: string;
}

/** Serve the files under `root`; resolves once listening, rejects if the port cannot be had. */
export const serveStatic = (root: string, o: ServeOptions = {}): Promise<StaticServer> => {
  const base = path.resolve(root);
  const server = http.createServer((req, res) => {
    const send = (code: number, body: string, headers: Record<string, string> = {}) => {
      res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8', ...headers });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'only GET and HEAD\n', { allow: 'GET, HEAD' });
    let rel: string;
    try {
      rel = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      return send(400, 'bad path\n');
    }
    if (rel === '/' && o.index) return send(302, '', { location: o.index });
    const file = path.resolve(base, `.${rel}${rel.endsWith('/') ? 'index.html' : ''}`);
    if (file !== base && !file.startsWith(base + path.sep)) return send(403, 'outside the served folder\n');
    fs.stat(file, (err, st) => {
      if (err) return send(404, `not found: ${rel}\n`);
      if (st.isDirectory()) return send(301, '', { location: `${rel}/` });
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'content-length': String(st.size), 'cache-control': 'no-store' });
      if (req.method === 'HEAD') return res.end();
      fs.createReadStream(file).pipe(res);
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => {
      const a = server.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      const host = o.host ?? '127.0.0.1';
      resolve({
        url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/`,
        port,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
};
