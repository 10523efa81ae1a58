/**
 * The sample system: the construct behind a Cognito user pool, deployable as-is with
 * `cdk deploy`. Tests synthesize this same stack and hold it to cdk-nag and cfn-lint.
 *
 * Optional custom domain, from context:
 * `cdk deploy -c domainName=notifications.example.com -c certificateArn=arn:aws:acm:… \
 *   [-c hostedZoneId=Z… -c hostedZoneName=example.com]`.
 */
import { CfnOutput, Duration, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { ConnectionAuth, CustomDomainOptions, RealtimeNotifications } from '../lib';
import { acknowledge } from '../lib/private/nag-acknowledgements';

export class SampleStack extends Stack {
  public readonly notifications: RealtimeNotifications;
  public readonly userPool: cognito.UserPool;
  public readonly userPoolClient: cognito.UserPoolClient;
  /** Encrypts the tables, queues, log groups and the alarm topic. */
  public readonly encryptionKey: kms.Key;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);

    this.userPool = new cognito.UserPool(this, 'Users', {
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.userPoolClient = this.userPool.addClient('WebClient', {
      authFlows: { userSrp: true },
      preventUserExistenceErrors: true,
    });

    this.encryptionKey = new kms.Key(this, 'EncryptionKey', {
      description: 'Encrypts the realtime notifications sample: tables, queues, logs and the alarm topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // CloudWatch alarms publish to the encrypted topic as the CloudWatch service.
    this.encryptionKey.addToResourcePolicy(new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resources: ['*'],
    }));
    const alarmTopic = new sns.Topic(this, 'AlarmTopic', { enforceSSL: true, masterKey: this.encryptionKey });

    this.notifications = new RealtimeNotifications(this, 'Notifications', {
      auth: ConnectionAuth.cognito({ userPool: this.userPool, userPoolClients: [this.userPoolClient] }),
      topicRules: ['news/**', 'orders/*', 'rooms/*', 'users/{userId}/**'],
      // Chat rooms: signed-in users publish to rooms/<name> and see who is there.
      publishRules: ['rooms/*'],
      presenceRules: ['rooms/*'],
      // Rooms keep a day of messages, to catch up after a reconnect and to page back through.
      historyRules: ['rooms/*'],
      monitoring: { alarmTopic, dashboard: true },
      removalPolicy: RemovalPolicy.DESTROY,
      encryptionKey: this.encryptionKey,
      customDomain: this.customDomainFromContext(),
    });

    this.enableApiGatewayLogging();

    new CfnOutput(this, 'WebSocketUrl', {
      description: 'Connect with ?token=<Cognito access token>',
      value: this.notifications.webSocketUrl,
    });
    if (this.notifications.domainName) {
      new CfnOutput(this, 'DomainTarget', {
        description: 'Where the custom domain points (its DNS record\'s target)',
        value: this.notifications.domainName.regionalDomainName,
      });
    }
    new CfnOutput(this, 'EventBusName', { value: this.notifications.eventBus.eventBusName });
    new CfnOutput(this, 'UserPoolId', { value: this.userPool.userPoolId });
    new CfnOutput(this, 'UserPoolClientId', { value: this.userPoolClient.userPoolClientId });
    const entries = JSON.stringify([{
      EventBusName: '__BUS__',
      Source: 'sample.backend',
      DetailType: 'Notification',
      Detail: JSON.stringify({ topic: 'orders/42', data: { status: 'shipped' } }),
    }]);
    const [before, after] = entries.split('__BUS__');
    new CfnOutput(this, 'PublishExample', {
      description: 'Publishes one notification to subscribers of orders/42',
      value: `aws events put-events --entries '${before}${this.notifications.eventBus.eventBusName}${after}'`,
    });

    this.acknowledgeSampleFindings();
  }

  /**
   * API Gateway writes WebSocket access logs only once the account has a CloudWatch role
   * (one per account and region; a later deployment that sets it again does no harm).
   */
  private enableApiGatewayLogging(): void {
    const role = new iam.Role(this, 'ApiGatewayCloudWatchRole', {
      assumedBy: new iam.ServicePrincipal('apigateway.amazonaws.com'),
      managedPolicies: [
        iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonAPIGatewayPushToCloudWatchLogs'),
      ],
    });
    // The role is the whole account's and region's: keep it when this stack goes, as CDK's RestApi does.
    role.applyRemovalPolicy(RemovalPolicy.RETAIN);
    const account = new apigateway.CfnAccount(this, 'ApiGatewayAccount', { cloudWatchRoleArn: role.roleArn });
    account.applyRemovalPolicy(RemovalPolicy.RETAIN);
    this.notifications.stage.node.addDependency(account);
  }

  /**
   * The sample's own cdk-nag AwsSolutions findings, each acknowledged on the resource it concerns
   * (the construct acknowledges the findings of its own design itself).
   */
  private acknowledgeSampleFindings(): void {
    acknowledge(this.node.findChild('ApiGatewayCloudWatchRole'),
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      'AmazonAPIGatewayPushToCloudWatchLogs is the policy AWS documents for the account-wide API Gateway logging role; '
      + 'API Gateway creates the log groups and streams, under names it chooses.');
    acknowledge(this.userPool, 'AwsSolutions-COG8',
      'The sample user pool only issues tokens for trying the WebSocket API; the Plus feature plan (threat protection) '
      + 'is a per-user paid tier that an adopting team chooses for its own pool.');
  }

  /** `-c domainName=… -c certificateArn=…`, and for the DNS record `-c hostedZoneId=… -c hostedZoneName=…`. */
  private customDomainFromContext(): CustomDomainOptions | undefined {
    const context = (key: string): string | undefined => this.node.tryGetContext(key);
    const [domainName, certificateArn, hostedZoneId, zoneName] =
      ['domainName', 'certificateArn', 'hostedZoneId', 'hostedZoneName'].map(context);
    if (domainName === undefined && certificateArn === undefined && hostedZoneId === undefined && zoneName === undefined) {
      return undefined;
    }
    if (domainName === undefined || certificateArn === undefined) {
      throw new Error('Sample custom domain: give both -c domainName=<host name> and -c certificateArn=<ACM certificate ARN in the stack\'s region>.');
    }
    if ((hostedZoneId === undefined) !== (zoneName === undefined)) {
      throw new Error('Sample custom domain: give both -c hostedZoneId=<zone id> and -c hostedZoneName=<zone name> for the DNS record, or neither.');
    }
    return {
      domainName,
      certificate: acm.Certificate.fromCertificateArn(this, 'DomainCertificate', certificateArn),
      hostedZone: hostedZoneId === undefined ? undefined
        : route53.HostedZone.fromHostedZoneAttributes(this, 'DomainZone', { hostedZoneId, zoneName: zoneName! }),
    };
  }
}
