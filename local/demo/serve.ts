/**
 * Serves the demo page (index.html, app.js, style.css, favicon.svg, the chat panel's chat.js and
 * chat.css, and the push panel's push.js and service worker sw.js, from this folder) and, as /client.js, the client library the page connects with
 * (client/dist/index.js, built by `npm run client:build`).
 */
import { readFile } from 'node:fs';
import { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { pathOf } from '../http';

/** The built client library: one ES module with no imports, loadable as is by the page. */
export const CLIENT_BUNDLE = join(__dirname, '..', '..', 'client', 'dist', 'index.js');

const HTML = 'text/html; charset=utf-8';
const JS = 'text/javascript; charset=utf-8';

const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: HTML },
  '/index.html': { file: 'index.html', type: HTML },
  '/app.js': { file: 'app.js', type: JS },
  '/chat.js': { file: 'chat.js', type: JS },
  '/push.js': { file: 'push.js', type: JS },
  '/sw.js': { file: 'sw.js', type: JS },
  '/chat.css': { file: 'chat.css', type: 'text/css; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
  '/favicon.svg': { file: 'favicon.svg', type: 'image/svg+xml' },
  // Browsers ask for /favicon.ico when a page names no icon (the API's JSON answers, for one).
  '/favicon.ico': { file: 'favicon.svg', type: 'image/svg+xml' },
};

export interface DemoOptions {
  /** The client library's bundle, served as /client.js. @default CLIENT_BUNDLE */
  readonly clientBundle?: string;
}

export function serveDemo(req: IncomingMessage, res: ServerResponse, options: DemoOptions = {}): boolean {
  const path = pathOf(req);
  const entry = path === '/client.js' ? { file: options.clientBundle ?? CLIENT_BUNDLE, type: JS } : pageFile(path);
  if (!entry || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
  readFile(entry.file, (error, content) => {
    if (error) {
      const unbuilt = path === '/client.js' && (error as NodeJS.ErrnoException).code === 'ENOENT';
      res.writeHead(unbuilt ? 404 : 500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(unbuilt
        ? `The client library is not built (no ${entry.file}): run \`npm run client:build\` (\`npm start\` runs it), then reload the page.`
        : `Could not read the demo page: ${error.message}`);
      return;
    }
    res.writeHead(200, { 'content-type': entry.type, 'content-length': content.length, 'cache-control': 'no-cache' });
    res.end(req.method === 'HEAD' ? undefined : content);
  });
  return true;
}

function pageFile(path: string): { file: string; type: string } | undefined {
  const entry = FILES[path];
  return entry && { file: join(__dirname, entry.file), type: entry.type };
}
