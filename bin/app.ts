#!/usr/bin/env node
/**
 * The sample app (cdk.json runs it). It refuses to synthesize while cdk-nag's AwsSolutions pack
 * reports a finding that the stack has not acknowledged with a reason.
 */
import { App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { SampleStack } from './sample-stack';

const app = new App();
new SampleStack(app, 'RealtimeNotificationsSample', {
  description: 'Realtime notifications over API Gateway WebSockets (cdk-realtime-notifications sample)',
});

const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(app);
for (const violation of report.violations) {
  for (const resource of violation.violatingResources) {
    console.error(`[${violation.severity}] ${violation.ruleName} at ${resource.constructPath}: ${violation.description}`);
  }
}
if (!report.success) {
  throw new Error(`cdk-nag: ${report.violations.length} unacknowledged AwsSolutions finding(s); fix them or acknowledge them with a reason.`);
}
app.synth();
