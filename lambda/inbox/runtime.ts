/** The inbox as the message and deliver functions build it: over their stores, posting with their fan-out. */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SETTINGS } from '../../lib/private/settings';
import { userOfStream } from '../stores/keys';
import type { Stores } from '../stores';
import type { HistoryStore } from '../history/history-store';
import { Inbox, MarkedRead } from './inbox';
import { ReadStateStore } from './read-store';

export function createInbox(
  doc: DynamoDBDocumentClient,
  settings: { readonly countersTable: string; readonly historyTable: string; readonly 'connections.tokenExpiry'?: 'close' | 'ignore' },
  stores: Stores,
  history: HistoryStore,
  push: (connectionIds: readonly string[], frame: string) => Promise<void>,
  announce?: (read: MarkedRead) => Promise<void>,
  present?: <F extends object>(frame: F) => Promise<F>,
): Inbox {
  const reads = new ReadStateStore(doc, settings.countersTable, settings.historyTable, (stream) => history.retention(stream));
  // Counts go to the user's connections whose token is still valid, as notifications do.
  const leaveOutExpired = (settings['connections.tokenExpiry'] ?? SETTINGS['connections.tokenExpiry'].default) === 'close';
  const inbox = new Inbox({
    reads,
    history,
    connectionsOf: async (userId) => {
      const ids: string[] = [];
      const options = leaveOutExpired ? { tokenValidAt: Math.floor(Date.now() / 1000) } : {};
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
