/** Serves the demo page (index.html, app.js, style.css, favicon.svg, and the chat panel's chat.js and chat.css, from this folder). */
import { readFile } from 'node:fs';
import { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { pathOf } from '../http';

const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/chat.js': { file: 'chat.js', type: 'text/javascript; charset=utf-8' },
  '/chat.css': { file: 'chat.css', type: 'text/css; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
  '/favicon.svg': { file: 'favicon.svg', type: 'image/svg+xml' },
  // Browsers ask for /favicon.ico when a page names no icon (the API's JSON answers, for one).
  '/favicon.ico': { file: 'favicon.svg', type: 'image/svg+xml' },
};

export function serveDemo(req: IncomingMessage, res: ServerResponse): boolean {
  const entry = FILES[pathOf(req)];
  if (!entry || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
  readFile(join(__dirname, entry.file), (error, content) => {
    if (error) {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`Could not read the demo page: ${error.message}`);
      return;
    }
    res.writeHead(200, { 'content-type': entry.type, 'content-length': content.length, 'cache-control': 'no-cache' });
    res.end(req.method === 'HEAD' ? undefined : content);
  });
  return true;
}
