/** The stores behind small interfaces, and the one-call set-up the handlers use. */
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from './clients';
import { ConnectionStore } from './connection-store';
import { Stores } from './remove-connection';
import { SubscriptionStore } from './subscription-store';

export * from './clients';
export * from './connection-store';
export * from './counter-store';
export * from './history-store';
export * from './keys';
export * from './remove-connection';
export * from './subscription-store';

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
