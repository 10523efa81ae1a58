/** The sample stack in an app configured like `cdk synth` configures it (cdk.json context). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, AppProps } from 'aws-cdk-lib';
import { SampleStack } from '../../bin/sample-stack';
import { ensureHandlerAssets } from './handler-assets';

export const SAMPLE_STACK_NAME = 'RealtimeNotificationsSample';

/** The context that puts the sample on a custom domain with its DNS record (`cdk deploy -c domainName=… …`). */
export const SAMPLE_DOMAIN_CONTEXT = {
  domainName: 'notifications.example.com',
  certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555',
  hostedZoneId: 'Z0123456789ABCDEFGHIJ',
  hostedZoneName: 'example.com',
};

export function sampleApp(props: AppProps = {}): { app: App; stack: SampleStack } {
  ensureHandlerAssets();
  const { context } = JSON.parse(readFileSync(join(__dirname, '..', '..', 'cdk.json'), 'utf8'));
  const app = new App({ ...props, context: { ...context, ...props.context } });
  return { app, stack: new SampleStack(app, SAMPLE_STACK_NAME) };
}
