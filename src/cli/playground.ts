/**
 * `catoptric playground`: serve the playground page (built into `dist/playground` by `npm run build`
 * or `npm run build:browser`) on 127.0.0.1 until interrupted.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CommandSpec, UserError, parseArgs } from './args';
import type { Io } from './io';
import { serveStatic } from './serve';

export const playgroundCommand: CommandSpec = {
  name: 'playground',
  summary: 'Serve the playground: edit a spec, see its diagram and plan frontier, train it in the browser.',
  positionals: [],
  options: {
    port: { type: 'nat', arg: 'N', doc: 'port (default 8321; 0 picks a free one)' },
    host: { type: 'string', arg: 'ADDR', doc: 'address to listen on (default 127.0.0.1, this machine only)' },
    dir: { type: 'string', arg: 'DIR', doc: 'the built dist/ folder holding playground/ and browser/ (default: found beside this command)' },
    json: { type: 'bool', doc: 'print {"url": ...} as JSON once listening' },
  },
  notes: 'Build the page first with `npm run build:browser` (`npm run playground` does both). Stop with Ctrl-C.',
};

/** The dist/ folder next to this module: dist/cli.js when built, src/cli/playground.ts in development. */
const findDist = (): string | undefined => {
  const here = path.dirname(fileURLToPath(import.meta.url));
  return [here, path.resolve(here, '../../dist')].find((d) => fs.existsSync(path.join(d, 'playground', 'index.html')) && fs.existsSync(path.join(d, 'browser', 'catoptric.js')));
};

export const runPlayground = async (argv: readonly string[], io: Io): Promise<number> => {
  const a = parseArgs(argv, playgroundCommand);
  const dir = (a.opts.dir as string | undefined) ?? findDist();
  if (!dir || !fs.existsSync(path.join(dir, 'playground', 'index.html')))
    throw new UserError(`${dir ? `${dir}: ` : ''}no built playground (playground/index.html); run \`npm run build:browser\` first`);
  const port = (a.opts.port as number | undefined) ?? 8321;
  const host = (a.opts.host as string | undefined) ?? '127.0.0.1';
  let server;
  try {
    server = await serveStatic(dir, { host, port, index: '/playground/' });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(code === 'EADDRINUSE' ? `port ${port} is in use; pass --port N (or --port 0 for a free one)` : `cannot listen on ${host}:${port}: ${(e as Error).message}`);
  }
  const url = `${server.url}playground/`;
  io.out(a.opts.json ? `${JSON.stringify({ url })}\n` : `catoptric playground at ${url} (serving ${dir}; Ctrl-C to stop)\n`);
  // Serve until interrupted.
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void server.close().then(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return 0;
};
