/**
 * Records a cdk-nag acknowledgement on a construct. `Validations.acknowledge()` refuses IDs with
 * more than one '::', which cdk-nag's per-finding IDs contain as soon as a resource ARN is built
 * from pseudo parameters (`Resource::arn:<AWS::Partition>:…`); those are recorded as the same
 * metadata entry that cdk-nag reads.
 */
import { Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  if (id.split('::').length <= 2) {
    Validations.of(scope).acknowledge({ id, reason });
  } else {
    scope.node.addMetadata(Validations.ACKNOWLEDGED_RULES_METADATA_KEY, { [id]: reason });
  }
}
