/**
 * DynamoDB tables built from the runtime contract's definitions, so that the deployed tables and
 * the ones the local runtime creates can never drift apart.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { TableDefinition } from './runtime-contract';

export interface NotificationTableOptions {
  readonly definition: TableDefinition;
  readonly removalPolicy: RemovalPolicy;
  readonly encryptionKey?: kms.IKey;
}

export function createTable(scope: Construct, id: string, o: NotificationTableOptions): dynamodb.Table {
  const def = o.definition;
  const table = new dynamodb.Table(scope, id, {
    partitionKey: stringKey(def.partitionKey),
    sortKey: def.sortKey === undefined ? undefined
      : { name: def.sortKey, type: def.sortKeyType === 'N' ? dynamodb.AttributeType.NUMBER : dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    timeToLiveAttribute: def.ttlAttribute,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    encryption: o.encryptionKey ? dynamodb.TableEncryption.CUSTOMER_MANAGED : dynamodb.TableEncryption.AWS_MANAGED,
    encryptionKey: o.encryptionKey,
    removalPolicy: o.removalPolicy,
  });
  for (const index of def.indexes) {
    table.addGlobalSecondaryIndex({
      indexName: index.indexName,
      partitionKey: stringKey(index.partitionKey),
      sortKey: index.sortKey === undefined ? undefined : stringKey(index.sortKey),
      projectionType: dynamodb.ProjectionType.KEYS_ONLY,
    });
  }
  return table;
}

/**
 * Allows exactly these DynamoDB actions on the table (and, for `indexActions`, on the named
 * indexes only), plus the KMS use a customer-managed key needs. Narrower than Table.grant*(),
 * which adds index/* and actions the handlers never call.
 */
export function allowTableActions(
  grantee: iam.IGrantable,
  table: dynamodb.Table,
  tableActions: string[],
  indexActions: { readonly indexName: string; readonly actions: string[] }[] = [],
): void {
  if (tableActions.length === 0 && indexActions.length === 0) return;
  if (tableActions.length > 0) {
    grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: tableActions.map((a) => `dynamodb:${a}`),
      resources: [table.tableArn],
    }));
  }
  for (const index of indexActions) {
    grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: index.actions.map((a) => `dynamodb:${a}`),
      resources: [`${table.tableArn}/index/${index.indexName}`],
    }));
  }
  // DynamoDB uses the table key on the caller's behalf; named actions keep IAM free of wildcards.
  table.encryptionKey?.grant(grantee, ...TABLE_KEY_ACTIONS);
}

const TABLE_KEY_ACTIONS = ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'];

function stringKey(name: string): dynamodb.Attribute {
  return { name, type: dynamodb.AttributeType.STRING };
}
