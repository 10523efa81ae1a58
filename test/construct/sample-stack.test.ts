/**
 * The sample app's stack: what `cdk deploy` would deploy. Held to cdk-nag's AwsSolutions pack
 * (no finding left without an acknowledgement, and no acknowledgement without a finding) and
 * to its outputs.
 */
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { ConnectionAuth, RealtimeNotifications } from '../../lib';
import { SAMPLE_DOMAIN_CONTEXT, sampleApp } from './sample-app';

const { stack } = sampleApp();
const template = Template.fromStack(stack);

interface Acknowledgement { readonly path: string; readonly id: string; readonly reason: string }

function acknowledgements(root: IConstruct): Acknowledgement[] {
  return root.node.findAll().flatMap((c) => c.node.metadata
    .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
    .flatMap((m) => Object.entries(m.data as Record<string, string>)
      .map(([id, reason]) => ({ path: c.node.path, id: id.replace(/^annotation::/i, ''), reason }))));
}

describe('cdk-nag AwsSolutions', () => {
  test('reports no unacknowledged error or warning', () => {
    const report = new AwsSolutionsChecks().validateScope(stack);
    const findings = report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.severity} ${v.ruleName} at ${r.constructPath}`));
    expect(findings).toEqual([]);
  });

  test('every acknowledgement answers a real finding on its resource, with a specific reason', () => {
    const checks = new AwsSolutionsChecks();
    (checks as unknown as { isAcknowledged: () => boolean }).isAcknowledged = () => false;
    const findings = checks.validateScope(stack).violations
      .flatMap((v) => v.violatingResources.map((r) => ({ id: v.ruleName, path: r.constructPath })));
    const acks = acknowledgements(stack);
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      const answered = findings.filter((f) => f.id === ack.id && (f.path === ack.path || (f.path ?? '').startsWith(`${ack.path}/`)));
      expect([ack.path, ack.id, answered.length > 0]).toEqual([ack.path, ack.id, true]);
      expect(ack.reason.length).toBeGreaterThan(80);
    }
    // and nothing else was found
    const unanswered = findings.filter((f) => !acks.some((a) => a.id === f.id && (f.path === a.path || (f.path ?? '').startsWith(`${a.path}/`))));
    expect(unanswered).toEqual([]);
  });

  test('the acknowledged rules are exactly the ones this design accepts', () => {
    const ids = [...new Set(acknowledgements(stack).map((a) => a.id.replace(/\[.*$/, '')))].sort();
    expect(ids).toEqual(['AwsSolutions-APIG4', 'AwsSolutions-COG8', 'AwsSolutions-IAM4', 'AwsSolutions-IAM5', 'AwsSolutions-L1', 'AwsSolutions-S1']);
  });

  test('the same check finds what is acknowledged when acknowledgements are ignored', () => {
    const bare = new App();
    new RealtimeNotifications(new Stack(bare, 'Bare'), 'N', { auth: ConnectionAuth.none() });
    const checks = new AwsSolutionsChecks();
    (checks as unknown as { isAcknowledged: () => boolean }).isAcknowledged = () => false;
    const report = checks.validateScope(bare);
    expect(report.success).toBe(false);
    // The construct alone has exactly the findings its design accepts, and nothing else.
    const found = [...new Set(report.violations.map((v) => v.ruleName.replace(/\[.*$/, '')))].sort();
    expect(found).toEqual(['AwsSolutions-APIG4', 'AwsSolutions-IAM5', 'AwsSolutions-L1', 'AwsSolutions-S1']);
  });

  test('ConnectionAuth.none() leaves its unauthorized $connect route visible', () => {
    const bare = new App();
    new RealtimeNotifications(new Stack(bare, 'Bare'), 'N', { auth: ConnectionAuth.none() });
    const findings = new AwsSolutionsChecks().validateScope(bare).violations
      .flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`));
    expect(findings).toEqual(['AwsSolutions-APIG4 at Bare/N/WebSocketApi/$connect-Route/Resource']);
  });
});

describe('sample stack', () => {
  test('authenticates with the Cognito pool of the stack', () => {
    const pool = Object.keys(template.findResources('AWS::Cognito::UserPool'));
    expect(pool).toHaveLength(1);
    const authorizer = Object.values(template.findResources('AWS::Lambda::Function'))
      .find((f) => f.Properties.Environment?.Variables?.AUTH_MODE === 'cognito')!;
    expect(authorizer.Properties.Environment.Variables.AUTH_USER_POOL_ID).toEqual({ Ref: pool[0] });
  });

  test('outputs the WebSocket URL, the bus name and a ready put-events command', () => {
    const outputs = template.toJSON().Outputs;
    expect(Object.keys(outputs)).toEqual(expect.arrayContaining(['WebSocketUrl', 'EventBusName', 'PublishExample']));
    const example = stack.resolve(outputs.PublishExample.Value);
    const parts = example['Fn::Join'][1] as unknown[];
    expect(parts[0]).toMatch(/^aws events put-events --entries '\[\{"EventBusName":"$/);
    const entries = JSON.parse(`${(parts[0] as string).replace(/^aws events put-events --entries '/, '')}BUS${parts[2]}`.replace(/'$/, ''));
    expect(entries).toEqual([{
      EventBusName: 'BUS', Source: 'sample.backend', DetailType: 'Notification',
      Detail: JSON.stringify({ topic: 'orders/42', data: { status: 'shipped' } }),
    }]);
  });

  test('encrypts the alarm topic, tables, queues and log groups with its own rotating key', () => {
    const keys = Object.entries(template.findResources('AWS::KMS::Key'));
    expect(keys).toHaveLength(1);
    const [keyId, key] = keys[0];
    expect(key.Properties.EnableKeyRotation).toBe(true);
    const keyArn = { 'Fn::GetAtt': [keyId, 'Arn'] };
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: keyArn });
    for (const group of Object.values(template.findResources('AWS::Logs::LogGroup'))) expect(group.Properties.KmsKeyId).toEqual(keyArn);
    for (const queue of Object.values(template.findResources('AWS::SQS::Queue'))) expect(queue.Properties.KmsMasterKeyId).toEqual(keyArn);
    for (const table of Object.values(template.findResources('AWS::DynamoDB::Table'))) {
      expect(table.Properties.SSESpecification.KMSMasterKeyId).toEqual(keyArn);
    }
  });

  test('CloudWatch alarms may use the key to publish to the encrypted topic', () => {
    const [keyId, key] = Object.entries(template.findResources('AWS::KMS::Key'))[0];
    const forCloudWatch = (key.Properties.KeyPolicy.Statement as any[])
      .filter((st) => JSON.stringify(st.Principal) === JSON.stringify({ Service: 'cloudwatch.amazonaws.com' }));
    expect(forCloudWatch).toEqual([{
      Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: '*',
    }]);
    const topic = Object.keys(template.findResources('AWS::SNS::Topic'))[0];
    for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topic }]);
    }
    expect(keyId).toMatch(/^EncryptionKey/);
  });

  test('sets the account\'s API Gateway logging role before the stage writes access logs', () => {
    const account = Object.keys(template.findResources('AWS::ApiGateway::Account'));
    expect(account).toHaveLength(1);
    const stage = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'))[0];
    expect(stage.DependsOn).toContain(account[0]);
  });
});

describe('sample stack with a custom domain from context', () => {
  const context = SAMPLE_DOMAIN_CONTEXT;

  test('outputs the domain\'s URL and its target, with the alias record in the zone, and stays nag-clean', () => {
    const { stack: withDomain } = sampleApp({ context });
    const t = Template.fromStack(withDomain);
    expect(withDomain.resolve(t.toJSON().Outputs.WebSocketUrl.Value)).toBe('wss://notifications.example.com');
    expect(t.toJSON().Outputs.DomainTarget.Value).toEqual({
      'Fn::GetAtt': [Object.keys(t.findResources('AWS::ApiGatewayV2::DomainName'))[0], 'RegionalDomainName'],
    });
    t.hasResourceProperties('AWS::ApiGatewayV2::DomainName', {
      DomainName: 'notifications.example.com',
      DomainNameConfigurations: [{ CertificateArn: context.certificateArn, EndpointType: 'REGIONAL', SecurityPolicy: 'TLS_1_2' }],
    });
    t.hasResourceProperties('AWS::Route53::RecordSet', { Name: 'notifications.example.com.', Type: 'A', HostedZoneId: context.hostedZoneId });
    expect(new AwsSolutionsChecks().validateScope(withDomain).violations).toEqual([]);
  });

  test('without a zone, creates no record', () => {
    const { stack: withDomain } = sampleApp({ context: { domainName: context.domainName, certificateArn: context.certificateArn } });
    Template.fromStack(withDomain).resourceCountIs('AWS::Route53::RecordSet', 0);
  });

  test.each([
    [{ domainName: context.domainName }, 'give both -c domainName=<host name> and -c certificateArn='],
    [{ certificateArn: context.certificateArn }, 'give both -c domainName=<host name> and -c certificateArn='],
    [{ domainName: context.domainName, certificateArn: context.certificateArn, hostedZoneId: context.hostedZoneId },
      'give both -c hostedZoneId=<zone id> and -c hostedZoneName=<zone name>'],
  ])('refuses an incomplete context %j', (partial, message) => {
    expect(() => sampleApp({ context: partial })).toThrow(message);
  });
});
