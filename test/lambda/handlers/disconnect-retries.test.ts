/**
 * $disconnect when DynamoDB fails for longer than one call's retries: the cleanup is tried again
 * while the invocation has time. The connect, message and disconnect handlers against the embedded
 * DynamoDB; $disconnect's own SDK client reaches it through a proxy that fails every attempt of a
 * connection's first delete.
 */
import type { Context } from 'aws-lambda';
import type { RouteResponse, WebSocketEvent } from '../../../lambda/protocol/websocket-event';
import { DYNAMODB_CONNECTION_TIMEOUT_MS, DYNAMODB_MAX_ATTEMPTS } from '../../../lambda/stores/clients';
import { handlerEnvironment } from '../../../lib/private/handlers';
import { Tables } from '../../../lib/private/runtime-contract';
import { localSettings } from '../../../local/settings';
import { DynamoFault, DynamoProxy, startDynamoProxy } from '../../faults/support/dynamodb-proxy';
import { lambdaContext } from '../fanout/harness';
import { startTestDynamo, TestDynamo } from '../../support/dynamo';
import { loadHandler } from '../../support/handlers';
import { connectEvent, disconnectEvent, messageEvent, newConnectionId } from '../../support/websocket-events';

type Handler = (event: WebSocketEvent, context?: Context) => Promise<RouteResponse>;

const INTERNAL_ERROR: DynamoFault = { errorType: 'InternalServerError', status: 500 };
/** A route function's whole timeout, as Lambda gives it at the start of an invocation. */
const FULL_TIME_MS = 10_000;

let db: TestDynamo;
let proxy: DynamoProxy;
let connect: Handler;
let message: Handler;
let disconnect: Handler;
/** Attempts still to fail, per connection, of deleting its row. */
const failing = new Map<string, number>();
/** Attempts failed, per connection. */
const failed = new Map<string, number>();

beforeAll(async () => {
  db = await startTestDynamo();
  proxy = await startDynamoProxy({
    target: db.dynamo.endpoint,
    faults: (operation, request) => {
      if (operation !== 'DeleteItem' || request.TableName !== db.tables.connectionsTable) return undefined;
      const id = (request.Key as Record<string, { S: string }>)[Tables.connections.partitionKey].S;
      const left = failing.get(id) ?? 0;
      if (left === 0) return undefined;
      failing.set(id, left - 1);
      failed.set(id, (failed.get(id) ?? 0) + 1);
      return INTERNAL_ERROR;
    },
  });
  const settings = localSettings('http://127.0.0.1:9', db.tables);
  const env = {
    ...db.env,
    ...handlerEnvironment('connect', settings),
    ...handlerEnvironment('disconnect', settings),
    ...handlerEnvironment('message', settings),
  };
  connect = loadHandler<{ handler: Handler }>('connect', env).handler;
  message = loadHandler<{ handler: Handler }>('message', env).handler;
  disconnect = loadHandler<{ handler: Handler }>('disconnect', { ...env, AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint }).handler;
});
afterAll(async () => {
  await proxy.close();
  await db.stop();
});

/** A connection subscribed to one topic; deleting its row fails `failures` times. */
async function subscribedConnection(failures: number): Promise<string> {
  const connectionId = newConnectionId();
  expect(await connect(connectEvent({ connectionId, userId: 'alice' }))).toEqual({ statusCode: 200 });
  const answer = await message(messageEvent(JSON.stringify({ action: 'subscribe', topic: 'public' }), { connectionId, userId: 'alice' }));
  expect(JSON.parse(answer.body!)).toMatchObject({ type: 'subscribed' });
  failing.set(connectionId, failures);
  return connectionId;
}

async function rowsOf(connectionId: string): Promise<{ connection: boolean; subscriptions: number }> {
  const subscriptions = await db.items(db.tables.subscriptionsTable);
  return {
    connection: (await db.get(db.tables.connectionsTable, { connectionId })) !== undefined,
    subscriptions: subscriptions.filter((item) => item[Tables.subscriptions.byConnectionPartitionKey] === connectionId).length,
  };
}

test('a cleanup that fails every attempt of a call is tried again, and removes the connection and its subscriptions', async () => {
  const connectionId = await subscribedConnection(DYNAMODB_MAX_ATTEMPTS);
  expect(await disconnect(disconnectEvent({ connectionId, userId: 'alice' }), lambdaContext(FULL_TIME_MS))).toEqual({ statusCode: 200 });
  expect(failed.get(connectionId)).toBe(DYNAMODB_MAX_ATTEMPTS);
  expect(await rowsOf(connectionId)).toEqual({ connection: false, subscriptions: 0 });
});

test('no try is started without the time one may take: the cleanup is left to the TTL', async () => {
  const connectionId = await subscribedConnection(DYNAMODB_MAX_ATTEMPTS);
  const context = lambdaContext(DYNAMODB_CONNECTION_TIMEOUT_MS);
  expect(await disconnect(disconnectEvent({ connectionId, userId: 'alice' }), context)).toEqual({ statusCode: 200 });
  expect(context.getRemainingTimeInMillis()).toBeGreaterThan(0);
  expect(failed.get(connectionId)).toBe(DYNAMODB_MAX_ATTEMPTS);
  expect(await rowsOf(connectionId)).toEqual({ connection: true, subscriptions: 1 });
});

test('without a Lambda context, a few tries, then the failure is given up on', async () => {
  const connectionId = await subscribedConnection(Number.MAX_SAFE_INTEGER);
  expect(await disconnect(disconnectEvent({ connectionId, userId: 'alice' }))).toEqual({ statusCode: 200 });
  expect(failed.get(connectionId)).toBeGreaterThan(DYNAMODB_MAX_ATTEMPTS);
  expect(await rowsOf(connectionId)).toEqual({ connection: true, subscriptions: 1 });
});
