/** The stores every handler reads and writes, and the one-call set-up the handlers use. */
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from './clients';
import { ConnectionStore } from './connection-store';
import { SubscriptionStore } from './subscription-store';
import { ConnectionSetStore, UserConnectionsStore } from './user-connections-store';
import { HotTopics } from './hot-topics';
import { ipConnectionsKey } from './keys';

export interface Stores {
  readonly connections: ConnectionStore;
  readonly subscriptions: SubscriptionStore;
  /** Each user's open connections, for the per-user limit (in the counters table). */
  readonly userConnections: UserConnectionsStore;
  /** The open connections from each source IP, for the per-IP limit (in the counters table). */
  readonly ipConnections: ConnectionSetStore;
}

export interface StoreTableNames {
  readonly connectionsTable: string;
  readonly subscriptionsTable: string;
  readonly countersTable: string;
}

export function createStores(tables: StoreTableNames, doc: DynamoDBDocumentClient = createDocumentClient(), hot: HotTopics = HotTopics.NONE): Stores {
  return {
    connections: new ConnectionStore(doc, tables.connectionsTable),
    subscriptions: new SubscriptionStore(doc, tables.subscriptionsTable, undefined, hot),
    userConnections: new UserConnectionsStore(doc, tables.countersTable),
    ipConnections: new ConnectionSetStore(doc, tables.countersTable, ipConnectionsKey),
  };
}
