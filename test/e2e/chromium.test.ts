/** How browser tests find their Chromium (test/support/browser.ts). */
import { execFileSync } from 'node:child_process';
import { arch, platform } from 'node:os';
import { findChromium } from '../support/browser';

describe('findChromium', () => {
  const saved = process.env.CHROMIUM_PATH;
  afterEach(() => {
    if (saved === undefined) delete process.env.CHROMIUM_PATH;
    else process.env.CHROMIUM_PATH = saved;
  });

  it('takes CHROMIUM_PATH first, and says what to do when it names nothing', async () => {
    process.env.CHROMIUM_PATH = process.execPath;
    await expect(findChromium()).resolves.toEqual({ executablePath: process.execPath, env: {}, source: 'CHROMIUM_PATH' });
    process.env.CHROMIUM_PATH = '/nowhere/chromium';
    await expect(findChromium()).rejects.toThrow('CHROMIUM_PATH is /nowhere/chromium, which does not exist: point it at a Chromium or Chrome executable, or unset it.');
  });

  (platform() === 'linux' && arch() === 'x64' ? it : it.skip)('otherwise runs the Chromium that npm ci installed, with its own libraries', async () => {
    delete process.env.CHROMIUM_PATH;
    const chromium = await findChromium();
    expect(chromium.source).toMatch(/^@sparticuz\/chromium \d+\.\d+\.\d+$/);
    expect(chromium.executablePath).toMatch(/node_modules\/\.cache\/sparticuz-chromium-[\d.]+\/chromium$/);
    const version = execFileSync(chromium.executablePath, ['--version'], { env: { ...process.env, ...chromium.env }, encoding: 'utf8' });
    expect(version).toMatch(/^Chromium \d+\./);
    // The NSS and expat libraries it links come from the package, not from the system.
    const libraries = execFileSync('ldd', [chromium.executablePath], { env: { ...process.env, ...chromium.env }, encoding: 'utf8' });
    expect(libraries).not.toContain('not found');
    for (const library of ['libnss3.so', 'libnspr4.so', 'libexpat.so.1']) {
      expect(libraries).toMatch(new RegExp(`${library.replace(/\./g, '\\.')} => \\S*node_modules/\\.cache/sparticuz-chromium-`));
    }
  });
});
