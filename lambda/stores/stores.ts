/** The two stores every handler reads and writes, and the one-call set-up the handlers use. */
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from './clients';
import { ConnectionStore } from './connection-store';
import { SubscriptionStore } from './subscription-store';

export interface Stores {
  readonly connections: ConnectionStore;
  readonly subscriptions: SubscriptionStore;
}

export interface StoreTableNames {
  readonly connectionsTable: string;
  readonly subscriptionsTable: string;
}

export function createStores(tables: StoreTableNames, doc: DynamoDBDocumentClient = createDocumentClient()): Stores {
  return {
    connections: new ConnectionStore(doc, tables.connectionsTable),
    subscriptions: new SubscriptionStore(doc, tables.subscriptionsTable),
  };
}
