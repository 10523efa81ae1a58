/** The demo page's files over HTTP: the client library as /client.js, and what the page gets when it is not built. */
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { serveDemo } from '../../local/demo/serve';
import { clientBundle, ClientBundle } from '../e2e/support/bundles';

describe('demo page files', () => {
  let client: ClientBundle;
  const servers: Server[] = [];

  beforeAll(() => {
    client = clientBundle();
  });

  afterAll(async () => {
    await Promise.all(servers.map((server) => new Promise((done) => server.close(done))));
    client?.dispose();
  });

  /** A server with only the demo's routes, serving `bundle` as /client.js. */
  async function serve(bundle: string): Promise<string> {
    const server = createServer((req, res) => {
      if (!serveDemo(req, res, { clientBundle: bundle })) res.writeHead(404).end();
    });
    servers.push(server);
    await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('serves the built client library as an ES module the page imports', async () => {
    const url = await serve(client.file);
    const response = await fetch(`${url}/client.js`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const code = await response.text();
    expect(code).toMatch(/export \{[^}]*\bconnect\b/);
    expect(code).not.toMatch(/^import /m);
    expect(await fetch(`${url}/app.js`).then((r) => r.text())).toMatch(/^import \{ connect as connectClient(, \w+)* \} from '\/client\.js';$/m);
  });

  it('says to run npm run client:build when the library is not built', async () => {
    const url = await serve(join(__dirname, 'no-such-dir', 'index.js'));
    const response = await fetch(`${url}/client.js`);
    expect(response.status).toBe(404);
    expect(await response.text()).toMatch(/^The client library is not built \(no .*no-such-dir\/index\.js\): run `npm run client:build` \(`npm start` runs it\), then reload the page\.$/);
  });
});
