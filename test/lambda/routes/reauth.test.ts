/**
 * `reauth` against the tables: a renewal cut off after the connection's row took the new expiry
 * (the timer could not be queued) is completed when the client sends the same token again.
 */
import { reauth } from '../../../lambda/routes/reauth';
import { MessageContext } from '../../../lambda/routes/context';
import { createStores, Stores } from '../../../lambda/stores';
import type { OutgoingMessage } from '../../../lambda/fanout/queue-writer';
import { startTestDynamo, TestDynamo } from '../../support/dynamo';

let db: TestDynamo;
let stores: Stores;

beforeAll(async () => {
  db = await startTestDynamo();
});
afterAll(async () => {
  await db.stop();
});
beforeEach(async () => {
  stores = createStores(await db.freshTables(), db.doc);
});

const NOW = Math.floor(Date.now() / 1000);

test('a reauth whose timer could not be queued is completed by the same token again: subscriptions renewed, one timer set', async () => {
  await stores.connections.putConnection({ connectionId: 'c1', userId: 'u1', connectedAt: NOW * 1000, expiresAt: NOW + 7200, tokenExpiresAt: NOW + 60 });
  await stores.subscriptions.subscribe('orders/1', 'c1', NOW + 7200, 'u1', NOW + 60);
  const timers: OutgoingMessage[] = [];
  let queueDown = true;
  const ctx = {
    stores,
    reauth: {
      // Token verification is covered on its own; here every token is u1's, expiring in an hour.
      verifier: { verify: async () => ({ userId: 'u1', expiresAt: NOW + 3600 }) },
      graceSeconds: 30,
      schedule: async (message: OutgoingMessage) => {
        if (queueDown) throw new Error('SQS is unavailable');
        timers.push(message);
      },
    },
  } as unknown as MessageContext;
  const caller = { connectionId: 'c1', userId: 'u1', tokenExpiresAt: NOW + 60 };

  await expect(reauth('fresh', caller, ctx, 'r1')).rejects.toThrow('SQS is unavailable');
  expect((await stores.connections.getConnection('c1'))?.tokenExpiresAt).toBe(NOW + 3600);
  queueDown = false;
  expect(await reauth('fresh', caller, ctx, 'r2')).toMatchObject({ type: 'reauthed', expiresAt: NOW + 3600, requestId: 'r2' });
  expect(timers).toHaveLength(1);
  // Delivery filters on the subscription's copy of the expiry: it moved too.
  const audience: string[] = [];
  for await (const page of stores.subscriptions.queryConnectionIdsByTopic('orders/1', { tokenValidAt: NOW + 600 })) audience.push(...page);
  expect(audience).toEqual(['c1']);
  // A token that expires earlier than the one the connection has is still refused.
  const earlier = { ...ctx, reauth: { ...ctx.reauth!, verifier: { verify: async () => ({ userId: 'u1', expiresAt: NOW + 120 }) } } } as MessageContext;
  expect(await reauth('older', caller, earlier, 'r3')).toMatchObject({ type: 'error', code: 'UNAUTHORIZED' });
});
