/**
 * The wire protocol and the publish contract, written once as JSON Schemas. The server validates
 * with them (lambda/protocol/frames.ts, lambda/protocol/publish-contract.ts); the client library's types
 * (client/src/protocol.ts), the tables of docs/protocol.md and docs/asyncapi.json are generated
 * from them by `npm run docs:protocol`. Plain data and functions: lib/, lambda/ and local/ all
 * import it.
 */
export * from './json-schema';
export * from './client-frames';
export * from './server-frames';
export * from './error-codes';
export * from './notification-event';
export * from './dead-letters';
export * from './client-message-event';
export * from './inbox-events';
export * from './push-device-event';
export * from './connection-control-events';
export * from './version';
