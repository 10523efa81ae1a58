/**
 * cdk-nag AwsSolutions in an adopter's stack: the construct acknowledges the findings its design
 * accepts, on its own resources and with reasons, while the stack's own findings stay visible.
 */
import { App, Stack, StackProps, Validations } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { ConnectionAuth, RealtimeNotifications, RealtimeNotificationsProps } from '../../lib';
import { ensureHandlerAssets } from './handler-assets';
import { TEST_AUTH } from './synth';

interface Finding { readonly id: string; readonly path: string }

function findings(scope: IConstruct, ignoreAcknowledgements = false): Finding[] {
  const checks = new AwsSolutionsChecks();
  if (ignoreAcknowledgements) (checks as unknown as { isAcknowledged: () => boolean }).isAcknowledged = () => false;
  return checks.validateScope(scope).violations
    .flatMap((v) => v.violatingResources.map((r) => ({ id: v.ruleName, path: r.constructPath ?? '' })));
}

function acknowledgements(root: IConstruct): { path: string; id: string; reason: string }[] {
  return root.node.findAll().flatMap((c) => c.node.metadata
    .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
    .flatMap((m) => Object.entries(m.data as Record<string, string>)
      .map(([id, reason]) => ({ path: c.node.path, id: id.replace(/^annotation::/i, ''), reason }))));
}

/** A team's stack: the construct next to resources of its own that have findings of their own. */
function adopterStack(props: Partial<RealtimeNotificationsProps> = {}, stackProps?: StackProps) {
  ensureHandlerAssets();
  const app = new App();
  const stack = new Stack(app, 'Team', stackProps);
  const jobs = new sqs.Queue(stack, 'UnencryptedJobs', { encryption: sqs.QueueEncryption.UNENCRYPTED });
  const uploads = new s3.Bucket(stack, 'Uploads');
  const notifications = new RealtimeNotifications(stack, 'Notifications', { auth: TEST_AUTH(), ...props });
  return { stack, jobs, uploads, notifications };
}

const under = (path: string) => (f: Finding) => f.path === path || f.path.startsWith(`${path}/`);

describe('a stack that uses the construct', () => {
  const { stack, jobs, uploads, notifications } = adopterStack();
  const found = findings(stack);

  test('keeps its own findings visible', () => {
    const own = (path: string) => found.filter(under(path)).map((f) => f.id.replace(/\[.*$/, '')).sort();
    expect(own(jobs.node.path)).toEqual(['AwsSolutions-SQS2', 'AwsSolutions-SQS3', 'AwsSolutions-SQS4']);
    expect(own(uploads.node.path)).toEqual(['AwsSolutions-S1', 'AwsSolutions-S10']);
  });

  test('sees no finding under the construct', () => {
    expect(found.filter(under(notifications.node.path))).toEqual([]);
  });

  test('the construct acknowledges exactly the findings of its design, each on the resource it concerns', () => {
    const acks = acknowledgements(stack);
    const raw = findings(stack, true).filter(under(notifications.node.path));
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect(ack.path.startsWith(`${notifications.node.path}/`)).toBe(true);
      expect(raw.some((f) => f.id === ack.id && under(ack.path)(f))).toBe(true);
      expect(ack.reason.length).toBeGreaterThan(80);
    }
    expect([...new Set(acks.map((a) => a.id.replace(/\[.*$/, '')))].sort())
      .toEqual(['AwsSolutions-APIG4', 'AwsSolutions-IAM5', 'AwsSolutions-L1', 'AwsSolutions-S1']);
  });

  test('acknowledges single findings: the @connections grant, not wildcard resources in general', () => {
    const iam5 = acknowledgements(stack).filter((a) => a.id.startsWith('AwsSolutions-IAM5'));
    const grant = (method: string) => expect.stringMatching(new RegExp(
      `^AwsSolutions-IAM5\\[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<NotificationsWebSocketApi[0-9A-F]{8}>\\/prod\\/${method}\\/@connections\\/\\*\\]$`));
    // $connect looks connections up (the per-user limit); message (replays of the offline inbox) and deliver post to them;
    // message closes a connection that lost its row; deliver closes one whose token expired. Deliver stores and presigns payloads, message presigns kept ones.
    const payloads = expect.stringMatching(/^AwsSolutions-IAM5\[Resource::<NotificationsPayloadBucket[0-9A-F]{8}\.Arn>\/payloads\/\*\]$/);
    expect(iam5.map((a) => [a.path, a.id])).toEqual([
      [notifications.connectFunction.role!.node.path, grant('GET')],
      [notifications.messageFunction.role!.node.path, grant('POST')],
      [notifications.messageFunction.role!.node.path, grant('DELETE')],
      [notifications.messageFunction.role!.node.path, payloads],
      [notifications.deliverFunction.role!.node.path, grant('POST')],
      [notifications.deliverFunction.role!.node.path, grant('DELETE')],
      [notifications.deliverFunction.role!.node.path, payloads],
    ]);
  });

  test('a wildcard grant the team adds to a construct function stays visible', () => {
    const team = adopterStack();
    team.notifications.messageFunction.addToRolePolicy(new iam.PolicyStatement({
      actions: ['s3:GetObject'], resources: [team.uploads.arnForObjects('*')],
    }));
    const iam5 = findings(team.stack).filter((f) => f.id.startsWith('AwsSolutions-IAM5'));
    expect(iam5).toHaveLength(1);
    expect(iam5[0].path).toBe(`${team.notifications.messageFunction.role!.node.path}/DefaultPolicy/Resource`);
  });
});

describe('every configuration of the construct is clean', () => {
  test('customer key, alarm topic, dashboard, broadcast, push, client messages, presence, custom domain, an environment-bound stack', () => {
    const { stack, notifications } = adopterStack({}, { env: { account: '123456789012', region: 'eu-west-1' } });
    const team = new RealtimeNotifications(stack, 'Configured', {
      auth: ConnectionAuth.cognito({ userPool: new cognito.UserPool(stack, 'Pool') }),
      encryptionKey: new kms.Key(stack, 'Key', { enableKeyRotation: true }),
      monitoring: {
        alarmTopic: new sns.Topic(stack, 'Alarms', { enforceSSL: true, masterKey: new kms.Key(stack, 'TopicKey', { enableKeyRotation: true }) }),
        dashboard: true,
      },
      allowBroadcast: true,
      push: {
        vapidKeys: new secretsmanager.Secret(stack, 'Vapid', { encryptionKey: new kms.Key(stack, 'VapidKey', { enableKeyRotation: true }) }),
        apns: 'arn:aws:sns:eu-west-1:123456789012:app/APNS/orders-ios',
        fcm: 'arn:aws:sns:eu-west-1:123456789012:app/GCM/orders-android',
      },
      publishRules: ['rooms/*'],
      presenceRules: ['rooms/*'],
      customDomain: {
        domainName: 'notifications.example.com',
        certificate: acm.Certificate.fromCertificateArn(stack, 'Cert',
          'arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555'),
        hostedZone: route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId: 'Z0123456789', zoneName: 'example.com' }),
      },
    });
    const found = findings(stack);
    expect(found.filter(under(notifications.node.path))).toEqual([]);
    expect(found.filter(under(team.node.path))).toEqual([]);
  });

  test('a team\'s own authorizer keeps its own findings', () => {
    const app = new App();
    const stack = new Stack(app, 'Team');
    const authorizer = new lambda.Function(stack, 'TeamAuthorizer', {
      runtime: lambda.Runtime.NODEJS_20_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => ({})'),
    });
    ensureHandlerAssets();
    new RealtimeNotifications(stack, 'Notifications', { auth: ConnectionAuth.lambda(authorizer) });
    const own = findings(stack).filter(under(authorizer.node.path)).map((f) => f.id.replace(/\[.*$/, ''));
    expect(own).toEqual(expect.arrayContaining(['AwsSolutions-L1', 'AwsSolutions-IAM4']));
    expect(findings(stack).filter(under('Team/Notifications'))).toEqual([]);
  });
});
