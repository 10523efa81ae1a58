/**
 * Public AWS list prices the cost model uses: us-east-1, on-demand, no free tier, no discounts,
 * as published on the AWS pricing pages named beside each (DynamoDB's after its November 2024
 * on-demand reduction). Compiled on the date below from those pages' published figures, without
 * live access to AWS from the benchmark machine; prices change, so the report prints this table
 * with its date: update both together.
 */
export const PRICES_CHECKED = '2026-11-22';
export const PRICES_REGION = 'us-east-1';

export interface Price {
  readonly item: string;
  readonly usd: number;
  readonly per: string;
  readonly source: string;
}

export const PRICES = {
  lambdaGbSecondArm: { item: 'Lambda compute, arm64', usd: 0.0000133334, per: 'GB-second', source: 'aws.amazon.com/lambda/pricing (first 7.5 B GB-s/month tier)' },
  lambdaRequest: { item: 'Lambda requests', usd: 0.20, per: 'million requests', source: 'aws.amazon.com/lambda/pricing' },
  dynamoWrite: { item: 'DynamoDB on-demand writes', usd: 0.625, per: 'million write request units', source: 'aws.amazon.com/dynamodb/pricing/on-demand (after the Nov 2024 reduction)' },
  dynamoRead: { item: 'DynamoDB on-demand reads', usd: 0.125, per: 'million read request units', source: 'aws.amazon.com/dynamodb/pricing/on-demand (after the Nov 2024 reduction)' },
  sqsRequest: { item: 'SQS standard queue requests', usd: 0.40, per: 'million requests (64 KB chunks)', source: 'aws.amazon.com/sqs/pricing' },
  eventBridgeEvent: { item: 'EventBridge custom events published', usd: 1.00, per: 'million events (64 KB chunks)', source: 'aws.amazon.com/eventbridge/pricing' },
  apiGatewayMessage: { item: 'API Gateway WebSocket messages', usd: 1.00, per: 'million messages (32 KB chunks, first billion)', source: 'aws.amazon.com/api-gateway/pricing' },
  apiGatewayConnectionMinute: { item: 'API Gateway WebSocket connection minutes', usd: 0.25, per: 'million connection minutes', source: 'aws.amazon.com/api-gateway/pricing' },
} satisfies Record<string, Price>;
