/** The sample stack in an app configured like `cdk synth` configures it (cdk.json context). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, AppProps } from 'aws-cdk-lib';
import { SampleStack } from '../../bin/sample-stack';
import { ensureHandlerAssets } from './handler-assets';

export const SAMPLE_STACK_NAME = 'RealtimeNotificationsSample';

export function sampleApp(props: AppProps = {}): { app: App; stack: SampleStack } {
  ensureHandlerAssets();
  const { context } = JSON.parse(readFileSync(join(__dirname, '..', '..', 'cdk.json'), 'utf8'));
  const app = new App({ ...props, context: { ...context, ...props.context } });
  return { app, stack: new SampleStack(app, SAMPLE_STACK_NAME) };
}
