/**
 * The schemas reach only the bundles that check with them: a handler that imports the protocol
 * for a constant or a frame builder leaves every schema out, although their texts are built from
 * the runtime's limits (which a bundler cannot prove free of side effects).
 */
import { join } from 'node:path';
import { build } from 'esbuild';
import { CLIENT_FRAMES, NOTIFICATION_DETAIL } from '../../lib/private/protocol';

const ROOT = join(__dirname, '..', '..');

async function bundle(handler: string): Promise<string> {
  const result = await build({
    entryPoints: [join(ROOT, 'lambda', 'handlers', `${handler}.ts`)],
    bundle: true, platform: 'node', target: 'node22', format: 'cjs', write: false, logLevel: 'silent',
    tsconfig: join(ROOT, 'tsconfig.dev.json'), mainFields: ['module', 'main'],
  });
  return result.outputFiles[0].text;
}

const CLIENT_FRAME_TEXT = CLIENT_FRAMES.ping.description!;
const NOTIFICATION_DETAIL_TEXT = NOTIFICATION_DETAIL.properties!.data.description!;

test.each([
  ['connect', false, false],
  ['disconnect', false, false],
  ['deliver', false, false],
  ['message', true, false],
])('the %s bundle holds the client frame schemas: %s, the notification schema: %s', async (handler, clientFrames, notificationDetail) => {
  const code = await bundle(handler);
  // Texts are bundled as the source writes them: a template's literal part stands for the text (long
  // enough not to be found in a library's comments: aws-jwt-verify speaks of "The payload" too).
  expect({ clientFrames: code.includes(CLIENT_FRAME_TEXT.split(' (')[0]), notificationDetail: code.includes(NOTIFICATION_DETAIL_TEXT.split(' at most')[0]) })
    .toEqual({ clientFrames, notificationDetail });
});
