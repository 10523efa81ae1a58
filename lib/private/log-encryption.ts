/**
 * Log groups encrypted with the customer key. CloudWatch Logs uses the key as its regional
 * service principal, so the key policy must allow it; the encryption context names the log
 * group, which scopes the allowance to log groups of this account and region.
 */
import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/** The documented `kms:Encrypt*`, `Decrypt*`, `ReEncrypt*`, `GenerateDataKey*`, `Describe*`, spelled out for a symmetric key. */
const LOGS_KEY_ACTIONS = [
  'kms:Encrypt',
  'kms:Decrypt',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
  'kms:GenerateDataKey',
  'kms:GenerateDataKeyWithoutPlaintext',
  'kms:DescribeKey',
];

/**
 * Adds the CloudWatch Logs statement to the key's policy. A key imported into the app has no
 * policy here to add to; its owner adds the same statement (the `encryptionKey` prop says so).
 */
export function allowCloudWatchLogs(scope: Construct, key: kms.IKey): void {
  const stack = Stack.of(scope);
  key.addToResourcePolicy(new iam.PolicyStatement({
    principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
    actions: LOGS_KEY_ACTIONS,
    resources: ['*'],
    conditions: {
      ArnLike: {
        'kms:EncryptionContext:aws:logs:arn': stack.formatArn({
          service: 'logs', resource: 'log-group', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      },
    },
  }));
}
