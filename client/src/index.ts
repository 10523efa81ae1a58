export { connect, RealtimeClient } from './client';
export type {
  ClientEvents, ConnectionState, ConnectOptions, HistoryPage, PresenceAnswer, Published, PresenceEvent, Subscription,
  WebSocketConstructor, WebSocketLike, PushDevices, PushSubscriptionLike,
} from './client';
export type { BackoffOptions } from './backoff';
export { keepAliveTiming } from './keep-alive';
export type { KeepAliveTiming, ServerTimeouts } from './keep-alive';
export { RealtimeError } from './errors';
export type { Inbox } from './inbox';
export type { InboxPage, UnreadCount } from './inbox';
export type { RealtimeErrorCode } from './errors';
export { localStoragePositions } from './positions';
export type { PositionStore } from './positions';
export type { Notification, Position } from './stream';
export type { ClientFrame, ErrorCode, ServerFrame } from './protocol';
