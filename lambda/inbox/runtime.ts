/** The inbox as the message and deliver functions build it: over their stores, posting with their fan-out. */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Env } from '../../lib/private/runtime-contract';
import { requiredEnv } from '../core/env';
import { userOfStream } from '../stores/keys';
import type { HistoryStore, Stores } from '../stores';
import { Inbox, MarkedRead } from './inbox';
import { ReadStateStore } from './read-store';

export function createInbox(
  doc: DynamoDBDocumentClient,
  stores: Stores,
  history: HistoryStore,
  push: (connectionIds: readonly string[], frame: string) => Promise<void>,
  announce?: (read: MarkedRead) => Promise<void>,
): Inbox {
  const reads = new ReadStateStore(doc, requiredEnv(Env.COUNTERS_TABLE), requiredEnv(Env.HISTORY_TABLE), (stream) => history.retention(stream));
  const inbox = new Inbox({
    reads,
    history,
    connectionsOf: async (userId) => {
      const ids: string[] = [];
      for await (const page of stores.connections.queryConnectionIdsByUser(userId)) ids.push(...page);
      return ids;
    },
    push,
    announce,
  });
  history.onVoid = (stream, seq) => (userOfStream(stream) !== undefined ? inbox.voided(stream, seq) : Promise.resolve());
  return inbox;
}
