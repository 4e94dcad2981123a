#!/usr/bin/env node
/**
 * Static server for the built studio (dist/). By default it sends the cross-origin isolation + CSP headers, like a
 * well-configured host; `--plain` sends none, like a bare static host (the service worker then adds them).
 * Usage: node test/e2e/serve.mjs [--port 4173] [--host 127.0.0.1] [--plain] [--dir dist]
 */
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css',
  '.wasm': 'application/wasm', '.png': 'image/png', '.svg': 'image/svg+xml', '.json': 'application/json',
  '.webmanifest': 'application/manifest+json', '.bin': 'application/octet-stream', '.gz': 'application/gzip',
  '.ico': 'image/x-icon', '.txt': 'text/plain',
};

export const ISOLATION = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** Starts the server; resolves to {url, close}. `extra` maps URL prefixes to folders (tests serve fixtures). */
export function serve({ dir = 'dist', port = 0, host = '127.0.0.1', plain = false, extra = {} } = {}) {
  const root = resolve(dir);
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://x');
      let path = decodeURIComponent(url.pathname);
      let base = root;
      for (const [prefix, folder] of Object.entries(extra)) {
        if (path.startsWith(prefix)) { base = resolve(folder); path = path.slice(prefix.length - 1); }
      }
      let file = normalize(join(base, path));
      if (!file.startsWith(base)) { res.writeHead(403).end(); return; }
      const st = await stat(file).catch(() => null);
      if (st?.isDirectory()) file = join(file, 'index.html');
      else if (!st) file = join(root, 'index.html');
      const body = await readFile(file);
      const headers = { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-cache' };
      if (!plain) Object.assign(headers, ISOLATION);
      res.writeHead(200, headers).end(body);
    } catch (e) {
      res.writeHead(500).end(String(e));
    }
  });
  return new Promise((ok) => server.listen(port, host, () => {
    const addr = server.address();
    ok({ url: `http://${host}:${addr.port}/`, close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }) });
  }));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (name, dflt) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : dflt; };
  const { url } = await serve({ dir: arg('--dir', 'dist'), port: Number(arg('--port', '4173')), host: arg('--host', '127.0.0.1'), plain: process.argv.includes('--plain') });
  console.log(`Pruning Studio is running at ${url}  (Ctrl+C to stop)`);
}
