/** The inbox as the message and deliver functions build it: over their stores, posting with their fan-out. */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { userOfStream } from '../stores/keys';
import type { Stores } from '../stores';
import type { HistoryStore } from '../history/history-store';
import { Inbox, MarkedRead } from './inbox';
import { ReadStateStore } from './read-store';

export function createInbox(
  doc: DynamoDBDocumentClient,
  /** `tokenExpiry`: connections whose token expired are left out (the delivery config's switch). */
  tables: { readonly countersTable: string; readonly historyTable: string; readonly tokenExpiry: boolean },
  stores: Stores,
  history: HistoryStore,
  push: (connectionIds: readonly string[], frame: string) => Promise<void>,
  announce?: (read: MarkedRead) => Promise<void>,
  present?: <F extends object>(frame: F) => Promise<F>,
): Inbox {
  const reads = new ReadStateStore(doc, tables.countersTable, tables.historyTable, (stream) => history.retention(stream));
  const inbox = new Inbox({
    reads,
    history,
    connectionsOf: async (userId) => {
      const ids: string[] = [];
      // Counts go to the user's connections whose token is still valid, as notifications do.
      const options = tables.tokenExpiry ? { tokenValidAt: Math.floor(Date.now() / 1000) } : {};
      for await (const page of stores.connections.queryConnectionIdsByUser(userId, options)) ids.push(...page);
      return ids;
    },
    push,
    announce,
    present,
  });
  history.onVoid = (stream, seq) => (userOfStream(stream) !== undefined ? inbox.voided(stream, seq) : Promise.resolve());
  return inbox;
}
