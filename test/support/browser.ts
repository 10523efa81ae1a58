/**
 * The Chromium every browser test runs, found the same way for all of them:
 *   1. CHROMIUM_PATH, when set (any Chromium or Chrome executable);
 *   2. the Chromium that the @sparticuz/chromium dev dependency ships inside its npm package
 *      (Linux x64), unpacked once into node_modules/.cache with the NSS and expat libraries and the
 *      fonts that come with it, so that `npm ci && npm test` needs nothing from the system;
 *   3. a system Chromium (Debian's `chromium`, or Chrome).
 * With none of them, the error says what to install or set.
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { brotliDecompressSync, createBrotliDecompress } from 'node:zlib';
import { Browser, chromium } from 'playwright-core';

const ROOT = join(__dirname, '..', '..');
const SYSTEM_CHROMIUMS = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export interface ChromiumInstall {
  readonly executablePath: string;
  /** Added to the browser's environment (where its libraries and fonts are). */
  readonly env: Record<string, string>;
  /** Where it came from, for messages. */
  readonly source: string;
}

/** The Chromium to run (see the top of this file); unpacks the npm-shipped one on first use. */
export async function findChromium(): Promise<ChromiumInstall> {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`CHROMIUM_PATH is ${fromEnv}, which does not exist: point it at a Chromium or Chrome executable, or unset it.`);
    return { executablePath: fromEnv, env: {}, source: 'CHROMIUM_PATH' };
  }
  const shipped = shippedChromiumDir();
  if (shipped && platform() === 'linux' && arch() === 'x64') return unpackShippedChromium(shipped);
  const system = SYSTEM_CHROMIUMS.find((path) => existsSync(path));
  if (system) return { executablePath: system, env: {}, source: system };
  throw new Error([
    `No Chromium for the browser tests on this ${platform()}/${arch()} machine.`,
    shipped
      ? 'The @sparticuz/chromium dev dependency ships one for Linux x64 only.'
      : 'The @sparticuz/chromium dev dependency is not installed: run `npm ci`.',
    'Install one (Debian: `apt-get install -y chromium`) or set CHROMIUM_PATH to a Chromium or Chrome executable.',
  ].join(' '));
}

/** Launches headless Chromium for a test; close it in afterAll. */
export async function launchChromium(): Promise<Browser> {
  const install = await findChromium();
  try {
    return await chromium.launch({
      executablePath: install.executablePath,
      env: { ...process.env, ...install.env } as Record<string, string>,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  } catch (error) {
    throw new Error(`Chromium from ${install.source} (${install.executablePath}) did not start: ${(error as Error).message}\n`
      + 'Set CHROMIUM_PATH to another Chromium or Chrome executable (Debian: `apt-get install -y chromium`, then CHROMIUM_PATH=/usr/bin/chromium).');
  }
}

/** The folder with @sparticuz/chromium's compressed browser (bin/chromium.br), when installed. */
function shippedChromiumDir(): string | undefined {
  let entry: string;
  try {
    entry = require.resolve('@sparticuz/chromium', { paths: [ROOT] });
  } catch {
    return undefined;
  }
  const bin = join(dirname(entry), '..', 'bin');
  return existsSync(join(bin, 'chromium.br')) ? bin : undefined;
}

/**
 * Unpacks the browser, its libraries (lib/) and fonts (fonts/) into a folder named after the package
 * version, once: into a private folder first and then renamed into place, so that test files starting
 * at the same time, or a run stopped half-way, never leave a partial browser behind.
 */
async function unpackShippedChromium(bin: string): Promise<ChromiumInstall> {
  const { version } = JSON.parse(readFileSync(join(bin, '..', 'package.json'), 'utf8')) as { version: string };
  const dir = join(ROOT, 'node_modules', '.cache', `sparticuz-chromium-${version}`);
  if (!existsSync(join(dir, 'chromium'))) {
    const staging = `${dir}.${process.pid}-${Date.now()}`;
    mkdirSync(staging, { recursive: true });
    try {
      await pipeline(createReadStream(join(bin, 'chromium.br')), createBrotliDecompress(), createWriteStream(join(staging, 'chromium'), { mode: 0o755 }));
      // al2023.tar.br holds lib/ (NSS, NSPR, expat: what the binary links beyond glibc); fonts.tar.br holds fonts/.
      for (const archive of ['al2023.tar.br', 'fonts.tar.br']) {
        execFileSync('tar', ['-x', '-C', staging], { input: brotliDecompressSync(readFileSync(join(bin, archive))) });
      }
      // Fontconfig reads this file: the system's configuration when there is one (its fonts and
      // the aliases such as monospace), and the shipped fonts, which are all a bare machine has.
      writeFileSync(join(staging, 'fonts.conf'), [
        '<?xml version="1.0"?>',
        '<!DOCTYPE fontconfig SYSTEM "fonts.dtd">',
        '<fontconfig>',
        '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>',
        `  <dir>${join(dir, 'fonts')}</dir>`,
        `  <cachedir>${join(dir, 'fonts-cache')}</cachedir>`,
        '</fontconfig>',
        '',
      ].join('\n'));
      renameSync(staging, dir);
    } catch (error) {
      rmSync(staging, { recursive: true, force: true });
      // Another test file unpacked it first: use that one.
      if (!existsSync(join(dir, 'chromium'))) {
        throw new Error(`Could not unpack the Chromium of @sparticuz/chromium ${version} from ${bin} into ${dir}: ${(error as Error).message}`);
      }
    }
  }
  return {
    executablePath: join(dir, 'chromium'),
    env: {
      LD_LIBRARY_PATH: [join(dir, 'lib'), process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
      FONTCONFIG_FILE: join(dir, 'fonts.conf'),
    },
    source: `@sparticuz/chromium ${version}`,
  };
}
