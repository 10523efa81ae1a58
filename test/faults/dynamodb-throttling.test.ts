/**
 * DynamoDB throttling is an error only the real service produces. Here the whole local runtime
 * runs its real handler bundles against the embedded engine through a proxy that throttles
 * every other call of each data operation (ProvisionedThroughputExceededException). Connecting,
 * subscribing, delivering and disconnecting must all still work, exactly once, with nothing
 * left behind: the handlers' DynamoDB calls are retried, not failed.
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { LocalDynamo, startDynamo } from '../../local/dynamodb';
import { useLocalRuntime } from '../e2e/support/clients';
import { connectClients, eventually, publish, TestClient } from './support/clients';
import { DynamoFault, DynamoProxy, startDynamoProxy, THROTTLED } from './support/dynamodb-proxy';

const DATA_OPERATIONS = new Set(['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query', 'BatchWriteItem']);

/** The first call of each data operation, and every other one after, is throttled once. */
function throttleEveryOther(): (operation: string) => DynamoFault | undefined {
  const seen = new Map<string, number>();
  return (operation) => {
    if (!DATA_OPERATIONS.has(operation)) return undefined;
    const n = (seen.get(operation) ?? 0) + 1;
    seen.set(operation, n);
    return n % 2 === 1 ? THROTTLED : undefined;
  };
}

let dynamo: LocalDynamo;
let proxy: DynamoProxy;
let clients: TestClient[];

// Jest runs hooks in the order they are declared: DynamoDB and its proxy start before the
// runtime; the clients close before it stops, DynamoDB after it.
beforeAll(async () => {
  dynamo = await startDynamo();
  proxy = await startDynamoProxy({ target: dynamo.endpoint, faults: throttleEveryOther() });
});
afterAll(() => {
  for (const c of clients ?? []) c.close();
});
const runtime = useLocalRuntime(() => ({
  dynamodbEndpoint: proxy.endpoint,
  log: process.env.DEBUG_HANDLERS ? (line) => console.log('[local]', line) : () => undefined,
  handlerLog: process.env.DEBUG_HANDLERS ? (fn, line) => console.log(fn, line) : () => undefined,
  handlerLogLevel: process.env.DEBUG_HANDLERS ? 'INFO' : undefined,
}));
afterAll(async () => {
  await proxy?.close();
  await dynamo?.stop();
});

async function rows(table: string): Promise<number> {
  const { Items } = await dynamo.client.send(new ScanCommand({ TableName: table }));
  return Items?.length ?? 0;
}

test('connect, subscribe, deliver and disconnect succeed while DynamoDB throttles, and write exactly once', async () => {
  clients = await connectClients(runtime(), 4, 'throttled-user-');
  await Promise.all(clients.map((c) => c.subscribe('orders/throttled')));
  expect(await rows(runtime().settings.connectionsTable)).toBe(4);
  expect(await rows(runtime().settings.subscriptionsTable)).toBe(4);

  await publish(runtime(), [{ topic: 'orders/throttled', id: 'n-throttled', data: { ok: true } }]);
  await runtime().drained();
  await eventually(() => clients.forEach((c) => expect(c.framesById().get('n-throttled')).toHaveLength(1)));
  expect(runtime().deadLetters()).toEqual([]);

  for (const c of clients) c.close();
  // $disconnect runs through the throttling too, and removes everything.
  await eventually(async () => {
    expect(await rows(runtime().settings.connectionsTable)).toBe(0);
    expect(await rows(runtime().settings.subscriptionsTable)).toBe(0);
  }, 30_000);

  // Every operation on the path really was refused at least once before it went through.
  for (const operation of ['PutItem', 'UpdateItem', 'Query', 'DeleteItem', 'BatchWriteItem']) {
    expect({ operation, throttled: (proxy.faultsInjected.get(operation) ?? 0) > 0 }).toEqual({ operation, throttled: true });
  }
});
