// Generated from lib/private/protocol by `npm run docs:protocol`: do not edit.
/** The wire protocol (docs/protocol.md): the frames a client sends and the server sends back. */

export type ErrorCode = 'BAD_REQUEST' | 'UNKNOWN_ACTION' | 'FORBIDDEN' | 'LIMIT_EXCEEDED' | 'PAYLOAD_TOO_LARGE' | 'RATE_LIMITED' | 'UNAUTHORIZED' | 'INTERNAL';

/** Where a client is in a stream with history: the position up to which it has every notification (not the last one received: frames can arrive out of order). */
export interface StreamPosition {
  /** The stream's epoch, as the notifications and answers carry it. */
  readonly epoch: string;
  /** The seq up to which every notification of the stream was received. */
  readonly seq: number;
}

export interface PresenceMember {
  /** The user. */
  readonly userId: string;
  /** The user's connections subscribed to the topic. */
  readonly connections: number;
}

/** Subscribes the connection to a topic, after catching up from `since` on a topic with history. Answered with `subscribed`. */
export interface SubscribeRequest {
  /** What to do: routes the frame. */
  readonly action: 'subscribe';
  /** Any string the client chooses, on any frame: echoed back in the answer (or the error) to it. */
  readonly requestId?: string;
  /** A topic: segments separated by `/` (docs/protocol.md, "Topics and topic rules"); its syntax and who may use it are checked after parsing. */
  readonly topic: string;
  /** Replay what the stream kept after this position before answering; absent or null for none. */
  readonly since?: StreamPosition | null;
}

/** Ends the subscription to a topic. Answered with `unsubscribed`. */
export interface UnsubscribeRequest {
  /** What to do: routes the frame. */
  readonly action: 'unsubscribe';
  /** Any string the client chooses, on any frame: echoed back in the answer (or the error) to it. */
  readonly requestId?: string;
  /** A topic: segments separated by `/` (docs/protocol.md, "Topics and topic rules"); its syntax and who may use it are checked after parsing. */
  readonly topic: string;
}

/** Sends a message to a topic's subscribers, where the publish rules allow it. Answered with `published`. A `from`, `userId` or `id` in the frame is ignored: the server stamps the sender and the id. */
export interface PublishRequest {
  /** What to do: routes the frame. */
  readonly action: 'publish';
  /** Any string the client chooses, on any frame: echoed back in the answer (or the error) to it. */
  readonly requestId?: string;
  /** A topic: segments separated by `/` (docs/protocol.md, "Topics and topic rules"); its syntax and who may use it are checked after parsing. */
  readonly topic: string;
  /** The message: any JSON value, `null` included, at most `clientMessages.maxSize` bytes of JSON and 100 levels deep. Numbers are IEEE 754 doubles, as in JavaScript: integers beyond 2^53 lose digits on the way (12345678901234567891 arrives as 12345678901234567000), so send large integers (ids, money in minor units) as strings. */
  readonly data: unknown;
  /** Whether the publishing connection receives its own message too. */
  readonly echo?: boolean;
}

/** Asks who is subscribed to a topic that tracks presence. Answered with `presence`. */
export interface PresenceRequest {
  /** What to do: routes the frame. */
  readonly action: 'presence';
  /** Any string the client chooses, on any frame: echoed back in the answer (or the error) to it. */
  readonly requestId?: string;
  /** A topic: segments separated by `/` (docs/protocol.md, "Topics and topic rules"); its syntax and who may use it are checked after parsing. */
  readonly topic: string;
}

/** Replays the signed-in user's own stream (user-targeted notifications) after `since`. Answered with `resumed`. */
export interface ResumeRequest {
  /** What to do: routes the frame. */
  readonly action: 'resume';
  /** Any string the client chooses, on any frame: echoed back in the answer (or the error) to it. */
  readonly requestId?: string;
  /** Replay what the stream kept after this position before answering; absent or null for none. */
  readonly since?: StreamPosition | null;
}

/** Pages back through a topic's kept notifications. Answered with `history`. */
export interface HistoryRequest {
  /** What to do: routes the frame. */
  readonly action: 'history';
  /** Any string the client chooses, on any frame: echoed back in the answer (or the error) to it. */
  readonly requestId?: string;
  /** A topic: segments separated by `/` (docs/protocol.md, "Topics and topic rules"); its syntax and who may use it are checked after parsing. */
  readonly topic: string;
  /** Only notifications before this seq; the latest when absent. */
  readonly before?: number;
  /** At most this many notifications (50 by default, at most `history.maxReplay`). */
  readonly limit?: number;
}

/** Marks notifications of the signed-in user's own stream read: the ones `ids` names, or every one up to and including `upTo` (exactly one of the two). Marking read what is read already changes nothing, so a retry is safe. Answered with `unread` (the count after it); every other connection of the user is pushed the new `unread` count. Counted against the user's client-message rate. */
export interface MarkReadRequest {
  /** What to do: routes the frame. */
  readonly action: 'markRead';
  /** Any string the client chooses, on any frame: echoed back in the answer (or the error) to it. */
  readonly requestId?: string;
  /** Ids of notifications in the user's own stream, as their frames carry them. */
  readonly ids?: ReadonlyArray<string>;
  /** Everything in the user's own stream up to and including this position (the `epoch` and `seq` of a notification, or of a `resumed` or `inbox` answer). */
  readonly upTo?: {
    /** The stream's epoch, as the notifications and answers carry it. */
    readonly epoch: string;
    /** The seq up to which (included) everything is read. */
    readonly seq: number;
  };
}

/** Pages back through the signed-in user's own stream (user-targeted notifications), each with its read state. Answered with `inbox`. */
export interface InboxRequest {
  /** What to do: routes the frame. */
  readonly action: 'inbox';
  /** Any string the client chooses, on any frame: echoed back in the answer (or the error) to it. */
  readonly requestId?: string;
  /** Only notifications before this seq; the latest when absent. */
  readonly before?: number;
  /** At most this many notifications (50 by default, at most `history.maxReplay`). */
  readonly limit?: number;
}

/** Registers a device for the signed-in user, a browser's Web Push `subscription` or a mobile app's device token (`mobile`; exactly one of the two): user-targeted notifications published with a `push` part are pushed to it when no connection of the user receives them live. Registering the same endpoint again updates its keys. At most `push.maxDevicesPerUser` devices per user; a subscription's endpoint must be an https URL of an accepted push service (`push.allowedEndpoints`); a token, of a platform the construct has an SNS application for (`push.apns`, `push.fcm`). Answered with `pushDevices`. */
export interface RegisterPushRequest {
  /** What to do: routes the frame. */
  readonly action: 'registerPush';
  /** Any string the client chooses, on any frame: echoed back in the answer (or the error) to it. */
  readonly requestId?: string;
  /** A Web Push subscription, as the browser's PushSubscription.toJSON() gives it; other fields are ignored. */
  readonly subscription?: {
    /** The push service's URL for this browser. */
    readonly endpoint: string;
    /** The browser's public key (P-256) and authentication secret. */
    readonly keys: {
      /** 65 bytes, URL-safe base64. */
      readonly p256dh: string;
      /** 16 bytes, URL-safe base64. */
      readonly auth: string;
    };
  };
  /** A mobile app's device token and its platform: it becomes an endpoint of the construct's SNS platform application for that platform. */
  readonly mobile?: {
    /** APNs (iOS) or FCM (Android). */
    readonly platform: 'apns' | 'fcm';
    /** The device token (APNs) or registration token (FCM) the app was given. */
    readonly token: string;
  };
}

/** Removes one of the signed-in user's devices by its Web Push `endpoint` or its mobile `token` (exactly one); removing one that is not registered changes nothing. Answered with `pushDevices`. */
export interface UnregisterPushRequest {
  /** What to do: routes the frame. */
  readonly action: 'unregisterPush';
  /** Any string the client chooses, on any frame: echoed back in the answer (or the error) to it. */
  readonly requestId?: string;
  /** The endpoint a browser was registered with. */
  readonly endpoint?: string;
  /** The device token a mobile app was registered with. */
  readonly token?: string;
}

/** Lists the signed-in user's registered devices. Answered with `pushDevices`. */
export interface PushDevicesRequest {
  /** What to do: routes the frame. */
  readonly action: 'pushDevices';
  /** Any string the client chooses, on any frame: echoed back in the answer (or the error) to it. */
  readonly requestId?: string;
}

/** Hands the connection a fresh token before its current one expires (when asked with a `reauth` frame, or any time): verified as at `$connect`, it must name the connection's own user and expire no earlier than the current one (the same token again completes a renewal that was cut off). Answered with `reauthed`; a token that names another user is answered with `error` UNAUTHORIZED and the connection is closed. */
export interface ReauthRequest {
  /** What to do: routes the frame. */
  readonly action: 'reauth';
  /** Any string the client chooses, on any frame: echoed back in the answer (or the error) to it. */
  readonly requestId?: string;
  /** The new token (a JWT), as the client would send it on `$connect`. */
  readonly token: string;
}

/** Keeps the connection alive (API Gateway closes connections idle for 10 minutes). Answered with `pong`. */
export interface PingRequest {
  /** What to do: routes the frame. */
  readonly action: 'ping';
  /** Any string the client chooses, on any frame: echoed back in the answer (or the error) to it. */
  readonly requestId?: string;
}

/** The answer to `subscribe`, after any replay; or, with `byServer`, pushed when a backend subscribed the user (a `ConnectionControl` `subscribe`): the topic's notifications arrive from now on, and the user's own `subscribe` to it is accepted whatever the topic rules say (after a reconnect too). */
export interface SubscribedFrame {
  /** What kind of frame this is. */
  readonly type: 'subscribed';
  /** The topic. */
  readonly topic: string;
  /** The `requestId` of the frame this answers, when it had one. */
  readonly requestId?: string;
  /** With `since`: whether every notification after it was replayed before this answer. */
  readonly recovered?: boolean;
  /** Present when a backend made the subscription. */
  readonly byServer?: true;
  /** When the topic keeps history: its epoch as of this answer. */
  readonly epoch?: string;
  /** When the topic keeps history: its position as of this answer. */
  readonly seq?: number;
}

/** The answer to `unsubscribe`; or, with `byServer`, pushed when a backend took the topic from the user (a `ConnectionControl` `unsubscribe`): nothing more of it arrives, and subscribing to it again is refused. */
export interface UnsubscribedFrame {
  /** What kind of frame this is. */
  readonly type: 'unsubscribed';
  /** The topic. */
  readonly topic: string;
  /** The `requestId` of the frame this answers, when it had one. */
  readonly requestId?: string;
  /** Present when a backend ended the subscription: do not subscribe again on your own. */
  readonly byServer?: true;
}

/** The answer to `publish`: every subscriber was posted to, or put back on the delivery queue for a retry. */
export interface PublishedFrame {
  /** What kind of frame this is. */
  readonly type: 'published';
  /** The topic. */
  readonly topic: string;
  /** The id the subscribers' notification frames carry. */
  readonly id: string;
  /** Its position, when the topic keeps history and the sender may also read it (subscribe to it, or page its history): a sender who may only publish there is not told how many messages the stream holds. */
  readonly seq?: number;
  /** With `seq`: the stream's epoch; positions of another epoch say nothing about this one. */
  readonly epoch?: string;
  /** The `requestId` of the frame this answers, when it had one. */
  readonly requestId?: string;
}

/** The answer to `presence`: who is on the topic now. */
export interface PresenceFrame {
  /** What kind of frame this is. */
  readonly type: 'presence';
  /** The topic. */
  readonly topic: string;
  /** Up to `clientMessages.maxPresenceMembers` users, in user id order. */
  readonly members: ReadonlyArray<PresenceMember>;
  /** Members in all, listed or not. */
  readonly count: number;
  /** Whether `members` lists fewer than `count`. */
  readonly truncated: boolean;
  /** The `requestId` of the frame this answers, when it had one. */
  readonly requestId?: string;
}

/** Pushed to a presence topic's subscribers when a user's first connection joins it or the last one leaves. */
export interface PresenceEventFrame {
  /** What kind of frame this is. */
  readonly type: 'presence';
  /** The topic. */
  readonly topic: string;
  /** Whether the user arrived or left. */
  readonly event: 'join' | 'leave';
  /** The user. */
  readonly userId: string;
}

/** The answer to `resume`: the user's own stream was replayed up to this position. */
export interface ResumedFrame {
  /** What kind of frame this is. */
  readonly type: 'resumed';
  /** Whether every notification after `since` was replayed; false without `since`. */
  readonly recovered: boolean;
  /** The stream's epoch; positions of another epoch say nothing about this one. */
  readonly epoch?: string;
  /** The stream's position: +1 per notification of the stream. */
  readonly seq?: number;
  /** When the user stream is kept: its notifications not read, as of this answer (see `unread`). */
  readonly unread?: number;
  /** With `unread`: as in the `unread` frame. */
  readonly readVersion?: number;
  /** The `requestId` of the frame this answers, when it had one. */
  readonly requestId?: string;
}

/** The answer to `history`: kept notifications of the topic, oldest first, as many as fit in one frame. */
export interface HistoryFrame {
  /** What kind of frame this is. */
  readonly type: 'history';
  /** The topic. */
  readonly topic: string;
  /** The stream's epoch; positions of another epoch say nothing about this one. */
  readonly epoch: string;
  /** Oldest first. */
  readonly notifications: ReadonlyArray<NotificationFrame>;
  /** Whether older notifications are kept than the first one listed. */
  readonly hasMore: boolean;
  /** The `requestId` of the frame this answers, when it had one. */
  readonly requestId?: string;
}

/** How many notifications of the user's own stream (within `history.userStreamRetention`) are not read: the answer to `markRead`, and pushed to every connection of the user whenever the count changes (a new notification for the user, a mark-read from another device or a backend). Frames can arrive out of order: keep the one with the highest `seq` and `readVersion` (a frame whose two are both lower than, or equal to, those of the one you have is older); another `epoch` means the stream started over. */
export interface UnreadFrame {
  /** What kind of frame this is. */
  readonly type: 'unread';
  /** Notifications not read. */
  readonly count: number;
  /** The stream's epoch; positions of another epoch say nothing about this one. */
  readonly epoch: string;
  /** The stream's position the count was taken at. */
  readonly seq: number;
  /** +1 for every mark-read that changed the user's read state (in this epoch). */
  readonly readVersion: number;
  /** The `requestId` of the frame this answers, when it had one. */
  readonly requestId?: string;
}

/** The answer to `inbox`: the user's own stream, oldest first, each notification with its read state, as many as fit in one frame. */
export interface InboxFrame {
  /** What kind of frame this is. */
  readonly type: 'inbox';
  /** The stream's epoch; positions of another epoch say nothing about this one. */
  readonly epoch: string;
  /** Oldest first: the notification frames as they were posted, each with `read`. */
  readonly notifications: ReadonlyArray<{
    /** What kind of frame this is. */
    readonly type: 'notification';
    /** Stable across retries, so clients can drop duplicates. */
    readonly id: string;
    /** Its position in a stream with history: +1 per notification of the stream. */
    readonly seq?: number;
    /** The stream's epoch; positions of another epoch say nothing about this one. */
    readonly epoch?: string;
    /** The topic, for topic notifications. */
    readonly topic?: string;
    /** The user, for notifications sent to one user. */
    readonly userId?: string;
    /** Present on broadcasts. */
    readonly broadcast?: true;
    /** The payload, any JSON value, as the backend or client published it; absent when `dataUrl` carries it. */
    readonly data?: unknown;
    /** Present instead of `data` when the payload does not fit in the frame: a short-lived (`payloads.urlExpiry`) HTTPS URL of the payload's JSON, to GET without credentials. Check its `size` and `sha256`, then parse it: that is `data`. The client libraries do this before handing the notification over. */
    readonly dataUrl?: string;
    /** With `dataUrl`: the payload's size in bytes. */
    readonly size?: number;
    /** With `dataUrl`: the SHA-256 of the payload's bytes, lowercase hex. */
    readonly sha256?: string;
    /** The sending user of a client message, stamped by the server; absent on backend notifications. */
    readonly from?: string;
    /** When it was published, ISO-8601. */
    readonly time: string;
    /** Whether it is marked read. */
    readonly read: boolean;
  }>;
  /** Whether older notifications are kept than the first one listed. */
  readonly hasMore: boolean;
  /** Notifications not read, in the whole stream. */
  readonly unread: number;
  /** The stream's position as of this answer. */
  readonly seq: number;
  /** As in `unread`. */
  readonly readVersion: number;
  /** The `requestId` of the frame this answers, when it had one. */
  readonly requestId?: string;
}

/** The answer to `registerPush`, `unregisterPush` and `pushDevices`: the signed-in user's devices after it. */
export interface PushDevicesFrame {
  /** What kind of frame this is. */
  readonly type: 'pushDevices';
  /** Oldest registration first. */
  readonly devices: ReadonlyArray<{
    /** Names the device (derived from its endpoint). */
    readonly id: string;
    /** A browser's: its Web Push endpoint. */
    readonly endpoint?: string;
    /** A browser (Web Push), or a mobile app through SNS. */
    readonly platform: 'web' | 'apns' | 'fcm';
    /** A mobile app's: its device token. */
    readonly token?: string;
    /** When it was last registered, ISO-8601. */
    readonly registeredAt: string;
  }>;
  /** How many devices the user may register (`push.maxDevicesPerUser`). */
  readonly max: number;
  /** The `requestId` of the frame this answers, when it had one. */
  readonly requestId?: string;
}

/** The answer to `reauth`: the connection now lives until the new token's expiry. */
export interface ReauthedFrame {
  /** What kind of frame this is. */
  readonly type: 'reauthed';
  /** The new token's expiry, epoch seconds. */
  readonly expiresAt: number;
  /** The `requestId` of the frame this answers, when it had one. */
  readonly requestId?: string;
}

/** Pushed before the connection's token expires: send a `reauth` with a fresh token before `expiresAt`, or the connection is closed (`closing` TOKEN_EXPIRED) `connections.tokenExpiryGrace` after it, and nothing is delivered to it from `expiresAt` on. */
export interface ReauthRequestFrame {
  /** What kind of frame this is. */
  readonly type: 'reauth';
  /** When the connection's token expires, epoch seconds. */
  readonly expiresAt: number;
}

/** Pushed just before the server closes the connection, saying why. TOKEN_EXPIRED: reconnect with a fresh token. KICKED: a backend ended this user's connections (or this one); do not reconnect on your own. UNAUTHORIZED: a `reauth` named another user. */
export interface ClosingFrame {
  /** What kind of frame this is. */
  readonly type: 'closing';
  /** Why the connection is closed. */
  readonly code: 'TOKEN_EXPIRED' | 'KICKED' | 'UNAUTHORIZED';
  /** In words; for KICKED, the reason the backend gave. */
  readonly message: string;
}

/** The answer to `ping`. */
export interface PongFrame {
  /** What kind of frame this is. */
  readonly type: 'pong';
  /** The `requestId` of the frame this answers, when it had one. */
  readonly requestId?: string;
}

/** A refusal: the answer to a frame that could not be carried out, or a frame that could not be read. */
export interface ErrorFrame {
  /** What kind of frame this is. */
  readonly type: 'error';
  /** What kind of refusal (see the error codes). */
  readonly code: ErrorCode;
  /** What was wrong, in words, and what to change. */
  readonly message: string;
  /** With RATE_LIMITED: when the next message will be accepted. */
  readonly retryAfterMs?: number;
  /** The `requestId` of the frame this answers, when it had one. */
  readonly requestId?: string;
}

/** A notification, pushed to its audience. Exactly one of `topic`, `userId` or `broadcast` says how it was addressed. */
export interface NotificationFrame {
  /** What kind of frame this is. */
  readonly type: 'notification';
  /** Stable across retries, so clients can drop duplicates. */
  readonly id: string;
  /** Its position in a stream with history: +1 per notification of the stream. */
  readonly seq?: number;
  /** The stream's epoch; positions of another epoch say nothing about this one. */
  readonly epoch?: string;
  /** The topic, for topic notifications. */
  readonly topic?: string;
  /** The user, for notifications sent to one user. */
  readonly userId?: string;
  /** Present on broadcasts. */
  readonly broadcast?: true;
  /** The payload, any JSON value, as the backend or client published it; absent when `dataUrl` carries it. */
  readonly data?: unknown;
  /** Present instead of `data` when the payload does not fit in the frame: a short-lived (`payloads.urlExpiry`) HTTPS URL of the payload's JSON, to GET without credentials. Check its `size` and `sha256`, then parse it: that is `data`. The client libraries do this before handing the notification over. */
  readonly dataUrl?: string;
  /** With `dataUrl`: the payload's size in bytes. */
  readonly size?: number;
  /** With `dataUrl`: the SHA-256 of the payload's bytes, lowercase hex. */
  readonly sha256?: string;
  /** The sending user of a client message, stamped by the server; absent on backend notifications. */
  readonly from?: string;
  /** When it was published, ISO-8601. */
  readonly time: string;
}

/** Any frame a client sends. */
export type ClientFrame = SubscribeRequest | UnsubscribeRequest | PublishRequest | PresenceRequest | ResumeRequest | HistoryRequest | MarkReadRequest | InboxRequest | RegisterPushRequest | UnregisterPushRequest | PushDevicesRequest | ReauthRequest | PingRequest;

/** Any frame the server sends. */
export type ServerFrame = SubscribedFrame | UnsubscribedFrame | PublishedFrame | PresenceFrame | PresenceEventFrame | ResumedFrame | HistoryFrame | UnreadFrame | InboxFrame | PushDevicesFrame | ReauthedFrame | ReauthRequestFrame | ClosingFrame | PongFrame | ErrorFrame | NotificationFrame;
