/**
 * The cdk-nag AwsSolutions findings this design accepts, acknowledged with their reasons on the
 * exact resources they concern, so that a stack using the construct runs cdk-nag clean while
 * every finding of its own stays visible. Acknowledgements are construct metadata
 * (`Validations.ACKNOWLEDGED_RULES_METADATA_KEY`), which cdk-nag reads on a resource and its
 * parents; the library itself needs no cdk-nag.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { IConstruct } from 'constructs';

/**
 * Records a cdk-nag acknowledgement on a construct. `Validations.acknowledge()` refuses IDs with
 * more than one '::', which cdk-nag's per-finding IDs contain as soon as a resource ARN is built
 * from pseudo parameters (`Resource::arn:<AWS::Partition>:…`); per-finding IDs are recorded as
 * the same metadata entry that cdk-nag reads.
 */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  // Validations.acknowledge() copies the scope's last acknowledgement entry into each new one, so
  // per-finding IDs (`Rule[Resource::…]`) all go the one way, as their own entries.
  if (!id.includes('[') && id.split('::').length <= 2) {
    Validations.of(scope).acknowledge({ id, reason });
  } else {
    scope.node.addMetadata(Validations.ACKNOWLEDGED_RULES_METADATA_KEY, { [id]: reason });
  }
}

/** What the construct's acknowledgements are placed on. */
export interface DesignFindingTargets {
  readonly webSocketApi: apigwv2.WebSocketApi;
  /** Routes that run on connections `$connect` authorized. */
  readonly authorizedRouteKeys: string[];
  /**
   * Each function granted `execute-api:ManageConnections`, with the
   * `arn:…:execute-api:…:apiId/stage/METHOD/@connections/*` ARNs it was granted.
   */
  readonly connectionsGrants: ReadonlyArray<{ readonly fn: lambda.IFunction; readonly arns: string[] }>;
  /** Each function granted SNS actions on the endpoints of the push platform applications (`…:endpoint/GCM/app/*`). */
  readonly mobilePushGrants: ReadonlyArray<{ readonly fn: lambda.IFunction; readonly arns: string[] }>;
  /** The functions running the bundled handlers (not a user's own authorizer). */
  readonly bundledFunctions: lambda.Function[];
  /** Each function granted object actions on the payload bucket, with the `<bucket ARN>/payloads/*` ARN it was granted. */
  readonly payloadGrants: ReadonlyArray<{ readonly fn: lambda.IFunction; readonly arns: string[] }>;
  readonly payloadBucket: s3.Bucket;
}

const DESIGN_FINDING_REASONS = {
  'AwsSolutions-APIG4': 'WebSocket APIs authorize once, on $connect (the construct\'s connection authorizer); API Gateway accepts '
    + 'no authorizer on the other routes, which only run on connections that $connect already authorized.',
  'AwsSolutions-IAM5': 'Connection ids exist only at run time: the functions post to connections (notifications, client messages, '
    + 'presence announcements), $connect looks them up, the message function closes one that lost its registration and deliver one whose token expired or that a backend kicked, each with execute-api:ManageConnections on one method of '
    + '@connections/* of this API\'s own stage, nothing wider.',
  'AwsSolutions-IAM5[payloads]': 'Payload objects are named by notification id at run time: deliver stores and presigns them, and the '
    + 'message function presigns kept ones for replays, with s3:PutObject or s3:GetObject on the payload bucket\'s payloads/ prefix only.',
  'AwsSolutions-S1': 'The payload bucket holds short-lived copies of notification payloads, written by the deliver function and read '
    + 'through presigned URLs it signs; who published and who was sent what is in the functions\' logs. Access logs would need a '
    + 'second bucket per deployment; enable CloudTrail S3 data events on it where object-level audit is required.',
  'AwsSolutions-L1': 'The handler bundles are built and tested for the Node.js 22 target (esbuild target node22); the '
    + 'runtime is pinned to match them rather than follow the newest Node.js release.',
};

const MOBILE_PUSH_REASON = 'A device\'s SNS endpoint is created at run time, when the user registers it: the functions publish to '
  + 'and delete endpoints of the configured platform application only (its ARN with :endpoint/ for :app/ and /* for the endpoint id), nothing wider.';

export function acknowledgeDesignFindings(t: DesignFindingTargets): void {
  for (const routeKey of t.authorizedRouteKeys) {
    acknowledge(t.webSocketApi.node.findChild(`${routeKey}-Route`), 'AwsSolutions-APIG4', DESIGN_FINDING_REASONS['AwsSolutions-APIG4']);
  }
  for (const { fn, arns } of t.connectionsGrants) {
    for (const arn of arns) {
      const connections = flattenForNag(Stack.of(fn).resolve(arn));
      acknowledge(fn.role!, `AwsSolutions-IAM5[Resource::${connections}]`, DESIGN_FINDING_REASONS['AwsSolutions-IAM5']);
    }
  }
  for (const { fn, arns } of t.payloadGrants) {
    for (const arn of arns) {
      acknowledge(fn.role!, `AwsSolutions-IAM5[Resource::${flattenForNag(Stack.of(fn).resolve(arn))}]`, DESIGN_FINDING_REASONS['AwsSolutions-IAM5[payloads]']);
    }
  }
  acknowledge(t.payloadBucket, 'AwsSolutions-S1', DESIGN_FINDING_REASONS['AwsSolutions-S1']);
  for (const { fn, arns } of t.mobilePushGrants) {
    for (const arn of arns) {
      acknowledge(fn.role!, `AwsSolutions-IAM5[Resource::${arn}]`, MOBILE_PUSH_REASON);
    }
  }
  for (const fn of t.bundledFunctions) {
    acknowledge(fn, 'AwsSolutions-L1', DESIGN_FINDING_REASONS['AwsSolutions-L1']);
  }
}

/**
 * A resolved CloudFormation value as cdk-nag names it in a finding ID: Ref → `<Id>`,
 * GetAtt → `<Id.Attr>`, Fn::Join joined, Fn::Sub's `${X}` → `<X>`.
 */
function flattenForNag(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  const v = value as Record<string, any>;
  if (v['Fn::Join']) return (v['Fn::Join'][1] as unknown[]).map(flattenForNag).join(v['Fn::Join'][0]);
  if (v['Fn::Sub']) return flattenForNag(v['Fn::Sub']);
  if (v['Fn::GetAtt']) return `<${flattenForNag(v['Fn::GetAtt'][0])}.${flattenForNag(v['Fn::GetAtt'][1])}>`;
  if (v['Fn::ImportValue']) return flattenForNag(v['Fn::ImportValue']);
  if (v.Ref) return `<${flattenForNag(v.Ref)}>`;
  return JSON.stringify(value);
}
