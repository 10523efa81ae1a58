/** The stores behind small interfaces, and the one-call set-up the handlers use. */
export * from './clients';
export * from './connection-store';
export * from './counter-store';
export * from './hot-topics';
export * from './keys';
export * from './remove-connection';
export * from './stores';
export * from './subscription-store';
export * from './user-connections-store';
