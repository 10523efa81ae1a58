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
import { IConstruct } from 'constructs';

/**
 * Records a cdk-nag acknowledgement on a construct. `Validations.acknowledge()` refuses IDs with
 * more than one '::', which cdk-nag's per-finding IDs contain as soon as a resource ARN is built
 * from pseudo parameters (`Resource::arn:<AWS::Partition>:…`); those are recorded as the same
 * metadata entry that cdk-nag reads.
 */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  if (id.split('::').length <= 2) {
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
  /** The functions running the bundled handlers (not a user's own authorizer). */
  readonly bundledFunctions: lambda.Function[];
}

const DESIGN_FINDING_REASONS = {
  'AwsSolutions-APIG4': 'WebSocket APIs authorize once, on $connect (the construct\'s connection authorizer); API Gateway accepts '
    + 'no authorizer on the other routes, which only run on connections that $connect already authorized.',
  'AwsSolutions-IAM5': 'Connection ids exist only at run time: the functions post to connections (notifications, client messages, '
    + 'presence announcements), $connect looks them up, the message function closes one that lost its registration and deliver one whose token expired or that a backend kicked, each with execute-api:ManageConnections on one method of '
    + '@connections/* of this API\'s own stage, nothing wider.',
  'AwsSolutions-L1': 'The handler bundles are built and tested for the Node.js 22 target (esbuild target node22); the '
    + 'runtime is pinned to match them rather than follow the newest Node.js release.',
};

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
