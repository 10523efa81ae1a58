/**
 * What every function that can start or end a user's presence on a topic builds once per
 * instance ($connect, $disconnect, the message function and deliver): the stores, the counters,
 * a poster for announcements, and Presence wired to post its join and leave frames through the
 * fan-out engine. Gone connections met while announcing are removed with their presence too.
 */
import type { RuntimeSettings } from '../../lib/private/handlers';
import { AdaptiveConcurrency } from '../fanout/concurrency';
import { systemClock } from '../runtime/clock';
import { logger } from '../runtime/logger';
import { Presence } from './presence';
import { TopicRules } from '../protocol/topics';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CounterStore, createDocumentClient, createStores, HotTopics, Stores } from '../stores';
import { ConnectionsPoster, createConnectionsPoster } from '../fanout/connections-poster';
import { AnnouncementDeps, announceToTopic } from '../fanout/deliver-record';

/** Posts in flight for one announcement from a route function. */
const ANNOUNCE_CONCURRENCY = 16;
/** How long one announcement may take: it must never hold a route function near its timeout. */
const ANNOUNCE_BUDGET_MS = 3_000;


export interface PresenceRuntime {
  readonly stores: Stores;
  readonly counters: CounterStore;
  readonly presence: Presence;
  /** GET @connections/{id}: whether a connection is still open. */
  readonly probe: ConnectionsPoster['probe'];
  /** The announcement dependencies: connections found gone while announcing are counted out quietly. */
  readonly announceDeps: AnnouncementDeps;
}

/** What presence reads: where the tables and @connections are, and which topics track it. */
export type PresenceSettings = Pick<RuntimeSettings, 'connectionsTable' | 'subscriptionsTable' | 'countersTable' | 'callbackUrl' | 'presenceRules' | 'hotTopics.subscriptionRules'>;

/**
 * Builds it from the function's settings. `base` and `doc` let the message and deliver functions
 * share their own stores, poster, limits and DynamoDB client. The poster of its own is made on
 * first use: the functions with a base only ever probe in $connect, which has none.
 */
export function createPresenceRuntime(
  settings: PresenceSettings, base?: Omit<AnnouncementDeps, 'endings'>, doc: DynamoDBDocumentClient = createDocumentClient(),
): PresenceRuntime {
  let poster: ConnectionsPoster | undefined;
  const ownPoster = () => (poster ??= createConnectionsPoster({ endpoint: settings.callbackUrl, maxSockets: ANNOUNCE_CONCURRENCY }));
  const deps: Omit<AnnouncementDeps, 'endings'> = base ?? {
    stores: createStores(settings, doc, HotTopics.of(settings)),
    post: (connectionId, frame, timeoutMs) => ownPoster().post(connectionId, frame, timeoutMs),
    concurrency: new AdaptiveConcurrency(ANNOUNCE_CONCURRENCY),
    clock: systemClock,
    logger,
  };
  const counters = new CounterStore(doc, settings.countersTable);
  let announceDeps!: AnnouncementDeps;
  const presence = new Presence(
    TopicRules.compile(settings.presenceRules),
    counters,
    async (topic, frame, exceptConnectionId) => {
      await announceToTopic(topic, frame, announceDeps, deps.clock.now() + ANNOUNCE_BUDGET_MS, exceptConnectionId);
    },
  );
  // Gone connections met while announcing leave silently (counted out, not announced): no chains.
  announceDeps = { ...deps, endings: presence.quiet };
  return { stores: deps.stores, counters, presence, probe: (connectionId) => ownPoster().probe(connectionId), announceDeps };
}
