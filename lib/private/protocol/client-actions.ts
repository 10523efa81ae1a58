/**
 * The actions a client frame may name, in the order errors list them; client-frames.ts has the
 * schema of each (the compiler holds the two to the same names). Apart, so that the construct and
 * every handler can name the routes without loading the schemas.
 */
export const CLIENT_ACTIONS = ['subscribe', 'unsubscribe', 'publish', 'presence', 'resume', 'history', 'markRead', 'inbox', 'registerPush', 'unregisterPush', 'pushDevices', 'reauth', 'ping'] as const;
export type ClientAction = (typeof CLIENT_ACTIONS)[number];
