/**
 * The sample system: the construct behind a Cognito user pool, deployable as-is with
 * `cdk deploy`. Tests synthesize this same stack and hold it to cdk-nag and cfn-lint.
 */
import { ArnFormat, CfnOutput, Duration, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { ConnectionAuth, RealtimeNotifications } from '../lib';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import { acknowledge } from './nag-acknowledgements';

export class SampleStack extends Stack {
  public readonly notifications: RealtimeNotifications;
  public readonly userPool: cognito.UserPool;
  public readonly userPoolClient: cognito.UserPoolClient;

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

    const alarmTopic = new sns.Topic(this, 'AlarmTopic', { enforceSSL: true });

    this.notifications = new RealtimeNotifications(this, 'Notifications', {
      auth: ConnectionAuth.cognito({ userPool: this.userPool, userPoolClients: [this.userPoolClient] }),
      topicRules: ['news/**', 'orders/*', 'rooms/*', 'users/{userId}/**'],
      // Chat rooms: signed-in users publish to rooms/<name> and see who is there.
      publishRules: ['rooms/*'],
      presenceRules: ['rooms/*'],
      alarmTopic,
      dashboard: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.enableApiGatewayLogging();

    new CfnOutput(this, 'WebSocketUrl', {
      description: 'Connect with ?token=<Cognito access token>',
      value: this.notifications.webSocketUrl,
    });
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

    this.acknowledgeDesignFindings();
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

  /** cdk-nag AwsSolutions findings that this design accepts, each on the resource it concerns. */
  private acknowledgeDesignFindings(): void {
    const n = this.notifications;
    for (const routeKey of ['$disconnect', 'subscribe', 'unsubscribe', 'ping', '$default']) {
      acknowledge(n.webSocketApi.node.findChild(`${routeKey}-Route`), 'AwsSolutions-APIG4',
        'WebSocket APIs authorize once, on $connect (the Cognito token authorizer); API Gateway accepts no authorizer '
        + 'on the other routes, which only run on connections that $connect already authorized.');
    }
    const connectionsArn = this.resolveForNag(this.formatArn({
      service: 'execute-api', resource: n.webSocketApi.apiId, arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      resourceName: `${n.stage.stageName}/POST/@connections/*`,
    }));
    acknowledge(n.deliverFunction.role!, `AwsSolutions-IAM5[Resource::${connectionsArn}]`,
      'The deliver function posts to connections whose ids exist only at run time; the grant is '
      + 'execute-api:ManageConnections on POST @connections/* of this API\'s own stage, nothing wider.');
    for (const fn of [n.connectFunction, n.disconnectFunction, n.messageFunction, n.deliverFunction, n.authorizerFunction!]) {
      acknowledge(fn, 'AwsSolutions-L1',
        'The handler bundles are built and tested for the Node.js 22 target (esbuild target node22); the '
        + 'runtime is pinned to match them rather than follow the newest Node.js release.');
    }
    acknowledge(this.node.findChild('ApiGatewayCloudWatchRole'),
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      'AmazonAPIGatewayPushToCloudWatchLogs is the policy AWS documents for the account-wide API Gateway logging role; '
      + 'API Gateway creates the log groups and streams, under names it chooses.');
    acknowledge(this.userPool, 'AwsSolutions-COG8',
      'The sample user pool only issues tokens for trying the WebSocket API; the Plus feature plan (threat protection) '
      + 'is a per-user paid tier that an adopting team chooses for its own pool.');
  }

  /** A token as cdk-nag prints it: `<LogicalId>` for a Ref, `<AWS::Region>` for a pseudo parameter. */
  private resolveForNag(value: string): string {
    return flattenCfnReference(this.resolve(value));
  }
}
