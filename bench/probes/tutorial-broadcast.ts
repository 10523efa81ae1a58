/**
 * The baseline: the tutorials' broadcast in a fresh process, the way their Lambda runs it:
 * Query the audience, then post to every connection (bench/lib/tutorial-design.ts). Reads our
 * subscriptions table, so that the DynamoDB part is the same as the deliver handler's.
 *   env: BENCH_DYNAMODB, BENCH_CALLBACK, BENCH_TABLE, BENCH_TOPIC, BENCH_MODE (all|sequential),
 *        BENCH_LIMIT (post to the first N only; the sequential form is too slow for 50,000),
 *        BENCH_REPEAT (run it this many times in a row; the last is reported)
 */
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LOCAL_AWS } from '../../local/dynamodb';
import { queryAllConnectionIds, tutorialBroadcast } from '../lib/tutorial-design';
import { probeEnv } from './probe-env';

async function main(): Promise<void> {
  const env = probeEnv;
  const local = LOCAL_AWS;
  const dynamo = new DynamoDBClient({ ...local, endpoint: env('BENCH_DYNAMODB') });
  const api = new ApiGatewayManagementApiClient({ ...local, endpoint: env('BENCH_CALLBACK') });
  const mode = env('BENCH_MODE') as 'all' | 'sequential';
  const limit = Number(process.env.BENCH_LIMIT ?? Infinity);

  const queryAudience = (topic: string) => queryAllConnectionIds(dynamo, {
    TableName: env('BENCH_TABLE'),
    KeyConditionExpression: '#t = :t',
    ExpressionAttributeNames: { '#t': 'topic' },
    ExpressionAttributeValues: { ':t': { S: topic } },
  });
  // Repeated in the same process, like the deliver instance it is compared with: the last run is warm.
  const repeat = Number(process.env.BENCH_REPEAT ?? '1');
  let last;
  for (let i = 0; i < repeat; i++) {
    const start = process.hrtime.bigint();
    const ids = await queryAudience(env('BENCH_TOPIC'));
    const queryMs = Number(process.hrtime.bigint() - start) / 1e6;
    const audience = Number.isFinite(limit) ? ids.slice(0, limit) : ids;
    const postStart = process.hrtime.bigint();
    const result = await tutorialBroadcast(api, audience, { orderId: 42, status: 'shipped' }, mode);
    const postMs = Number(process.hrtime.bigint() - postStart) / 1e6;
    last = { queried: ids.length, attempted: audience.length, queryMs, postMs, ...result };
  }
  process.stdout.write(`\n${JSON.stringify({ ...last, maxRssKB: process.resourceUsage().maxRSS })}\n`);
  process.exit(0);
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
