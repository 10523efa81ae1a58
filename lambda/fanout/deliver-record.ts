/**
 * What deliver does with one queue message. Three kinds come off the queue:
 *
 * - an EventBridge event: checked against the publish contract (a violation is dead-lettered
 *   with its reason), then its audience is read and posted to as it is read; the ids read
 *   beyond the shard threshold are split into shard messages for many instances to deliver;
 * - a shard message (see shard-message.ts): delivered to exactly the connections it lists;
 * - anything else: dead-lettered with a reason.
 *
 * Delivery posts the frame to every connection (fanout.ts), removes the connections that are
 * gone, re-queues those still failing for a later attempt (only those), and dead-letters them
 * with their reasons after the last attempt. This function returns once every connection is
 * accounted for: delivered, gone, on the queue again, or in the DLQ. If it cannot say so (a
 * queue send failed, DynamoDB failed) it throws, the record is reported failed, and SQS tries it
 * again: a connection may then get the notification twice, always with the same id.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { LIMITS, MetricNames } from '../../lib/private/runtime-contract';
import { forEachConcurrently } from '../runtime/concurrent';
import { AdaptiveConcurrency } from './concurrency';
import { Clock } from '../runtime/clock';
import { FailedDelivery, fanOut, FanoutAudience, FanoutOptions, FanoutResult, Poster, PostRetryPolicy } from './fanout';
import { RateLimiter } from './rate';
import { describeTarget, EncodedNotification, encodeNotification, Notification } from '../protocol/notification';
import { checkPublishedEvent } from '../protocol/publish-contract';
import { requeueDelaySeconds } from '../runtime/retry';
import { removeGoneConnection, Stores, SubscriptionEndings } from '../stores';
import { AUDIENCE_FIRST_PAGE_SIZE, audiencePages } from './audience';
import { NotificationHistory } from '../history/notification-history';
import type { Inbox } from '../inbox/inbox';
import { isMarkReadEvent, parseMarkReadEvent } from '../inbox/bus';
import { DeliverConfig } from './config';
import { isPushDeviceEvent } from '../push/device-event';
import { encodeTopicSegment } from '../../lib/private/topic-segment';
import { topicOwner } from '../protocol/topics';
import { isPushJob, parsePushJob, PushContent, PushJob, pushJobMessage, pushPayload } from '../push/push-message';
import type { Payloads } from '../payloads/payloads';
import { rejectedMessage, summariseReasons, undeliveredMessages } from './dead-letters';
import { OutgoingMessage, QueueWriter } from './queue-writer';
import { DEFAULT_SHARD_MAX_BYTES, EncodedShard, isShardMessage, packShards, parseShardMessage, ShardLimits, ShardPacker } from './shard-message';

export type MetricName = (typeof MetricNames)[keyof typeof MetricNames];

/** Where delivery reports its counts (Powertools metrics in the handler). */
export interface DeliveryMetrics {
  count(name: MetricName, value: number): void;
  fanoutDurationMs(value: number): void;
}

export interface DeliveryDeps {
  readonly config: DeliverConfig;
  readonly stores: Stores;
  readonly post: Poster;
  readonly queue: QueueWriter;
  /** Shared by every record in the instance. */
  readonly concurrency: AdaptiveConcurrency;
  readonly rateLimiter?: RateLimiter;
  readonly clock: Clock;
  readonly metrics: DeliveryMetrics;
  readonly logger: Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;
  readonly postRetry?: PostRetryPolicy;
  readonly random?: () => number;
  /** Told when removing a gone connection ends a subscription it concerns (presence leaves). */
  readonly endings?: SubscriptionEndings;
  /** Gives notifications of streams with history their positions, and keeps them. */
  readonly history?: NotificationHistory;
  /** Pushes a user's new unread count after their notification was posted (the inbox). */
  readonly inbox?: Pick<Inbox, 'notified' | 'markRead'>;
  /** Pushes to users' devices (Web Push, SNS): present when push is configured. */
  readonly push?: {
    deliver(job: PushJob, queue: QueueWriter): Promise<void>;
    /** Carries out a backend's PushDevice event; resolves with why it cannot, when it cannot. */
    deviceEvent(body: Record<string, unknown>): Promise<string | undefined>;
    /** Notifications to a user's own topics are pushed to that user too (`push.userTopics`). */
    readonly userTopics: boolean;
  };
  /** Sends notifications too large for a frame by reference, and presents references as URLs. */
  readonly payloads?: Payloads;
}

/** What posting a frame once to a topic needs: no queue, no retries later. */
export type AnnouncementDeps = Pick<DeliveryDeps, 'stores' | 'post' | 'concurrency' | 'rateLimiter' | 'postRetry' | 'clock' | 'random' | 'logger' | 'endings' | 'payloads'>;

export interface QueueRecord {
  readonly messageId: string;
  readonly body: string;
  /** SQS's system attributes; ApproximateReceiveCount counts this receive. */
  readonly attributes?: { readonly ApproximateReceiveCount?: string };
}

/** Failures logged one by one per fan-out; the rest are summarised in one line. */
const MAX_FAILURES_LOGGED = 20;
/** Stale connections removed at once after a fan-out. */
const CLEANUP_CONCURRENCY = 16;
/**
 * Waits before each new post to connections whose $connect was still running at the last one
 * (they answer 410 until their handshake is done, which takes moments): about 1.5 s in all, then
 * they are re-queued like any connection still failing.
 */
const OPENING_RETRY_DELAYS_MS = [50, 100, 200, 400, 800];

/** Handles one queue message; throws only when it must be retried by SQS. */
export async function deliverRecord(record: QueueRecord, deps: DeliveryDeps, deadline?: number): Promise<void> {
  let body: unknown;
  try {
    body = JSON.parse(record.body);
  } catch {
    deps.metrics.count(MetricNames.notifications, 1);
    await reject(record, deps, 'NOT_JSON', 'The queue message is not JSON; publish notifications with EventBridge PutEvents.');
    return;
  }

  if (isShardMessage(body)) {
    const parsed = parseShardMessage(body);
    if (!parsed.ok) {
      await reject(record, deps, 'BAD_SHARD', parsed.message);
      return;
    }
    const { shard } = parsed;
    await deliverToConnections(encodeNotification(shard.notification), shard.connectionIds, shard.attempt, deps, deadline);
    return;
  }

  if (isPushJob(body)) {
    const job = parsePushJob(body);
    if (job === undefined || deps.push === undefined) {
      await reject(record, deps, 'BAD_SHARD', deps.push === undefined
        ? 'A push job reached a deliver function without push configured (push.vapidKeys); redrive it once push is configured.'
        : 'The message claims to be a push job but is not one deliver wrote.');
      return;
    }
    await deps.push.deliver(job, deps.queue);
    return;
  }

  if (deps.push !== undefined && isPushDeviceEvent(body)) {
    // A backend registers (or removes) a user's mobile device.
    const problem = await deps.push.deviceEvent(body);
    if (problem !== undefined) await reject(record, deps, 'BAD_PUSH_DEVICE', problem);
    return;
  }

  if (deps.inbox !== undefined && isMarkReadEvent(body)) {
    // A backend marks a user's notifications read (the inbox).
    const parsed = parseMarkReadEvent(body);
    const result = parsed.ok ? await deps.inbox.markRead(parsed.userId, parsed, { backend: true }) : parsed;
    if (!result.ok) await reject(record, deps, 'BAD_MARK_READ', result.message);
    return;
  }

  deps.metrics.count(MetricNames.notifications, 1);
  const checked = checkPublishedEvent(body, {
    detailType: deps.config.detailType, allowBroadcast: deps.config.allowBroadcast, maxPayloadBytes: deps.payloads && deps.config.maxPayloadBytes,
  });
  if (!checked.ok) {
    if (checked.reason === 'PAYLOAD_TOO_LARGE') deps.metrics.count(MetricNames.tooLarge, 1);
    await reject(record, deps, checked.reason, checked.message, checked.eventId);
    return;
  }
  // On its first receive an event was given no position by an earlier one (a duplicate event is
  // settled by the position claim): the claim need not be looked up first.
  await deliverNotification(checked, deps, deadline, undefined, record.attributes?.ApproximateReceiveCount !== '1');
}

async function reject(record: QueueRecord, deps: DeliveryDeps, reason: Parameters<typeof rejectedMessage>[1], message: string, eventId?: string): Promise<void> {
  deps.logger.warn('Notification rejected; sending it to the dead-letter queue', { reason, reasonMessage: message, eventId, sqsMessageId: record.messageId });
  await deps.queue.sendAll(deps.config.deadLetterQueueUrl, [rejectedMessage(record.body, reason, message, { eventId })]);
  deps.metrics.count(MetricNames.rejected, 1);
}

/**
 * Reads the audience and posts to it as it is read, from the first page on. Once more ids than
 * the shard threshold have been read, the page that crossed it and every later one are split into
 * shard messages for other instances; the ids already handed to the posts here stay here, so no
 * connection is sent the notification by both. An audience of exactly the threshold is delivered
 * here. Shards are enqueued as pages fill them, so memory stays flat however large the audience.
 *
 * A notification of a stream with history is first given its position and kept (history.ts).
 * Returns it, positioned, once every connection is accounted for (see the module comment);
 * throws when it cannot say so. `exceptConnectionId` is left out of the audience (a client
 * message's sender).
 */
export async function deliverNotification(
  published: EncodedNotification & { readonly push?: PushContent }, deps: DeliveryDeps, deadline?: number, exceptConnectionId?: string, mayBeRedelivery = true,
): Promise<EncodedNotification> {
  const { push } = published;
  // A frame too large to post is stored once and carried on by reference, kept and sharded so.
  const unpositioned = deps.payloads ? await deps.payloads.offload(published) : published;
  // The position first (one round trip), then the claim and the frame are written while the
  // audience's first page is read: nothing is posted before its frame is kept. A topic's
  // subscribers are read after the position, consistently (a client that subscribed just before
  // it is sure to be there), so a topic with history waits one round trip more (the head's
  // increment). A user's connections come from an index that is never consistent: they are read
  // while the position is taken, and the user's stream (the inbox) costs no round trip of its own.
  const { target } = unpositioned.notification;
  const audienceOf = (consistent: boolean) => withoutConnection(
    audiencePages(target, deps.stores, { firstPageSize: AUDIENCE_FIRST_PAGE_SIZE, consistent }, deps.clock.now(), deps.config.tokenExpiry), exceptConnectionId);
  const early = deps.history !== undefined && 'userId' in target ? eager(audienceOf(false)) : undefined;
  const { encoded: taken, kept, head } = deps.history ? await deps.history.position(unpositioned, mayBeRedelivery) : { encoded: unpositioned, kept: undefined, head: undefined };
  const positioned = taken.notification.seq !== undefined;
  const audience = early ?? (kept === undefined ? audienceOf(positioned) : eager(audienceOf(positioned)));
  // The position that counts: another delivery of the same id may have claimed first.
  const encoded = (await kept) ?? taken;
  const { notification } = encoded;
  const shards = new ShardSender(notification, deps);
  const reached: string[] = [];
  const userId = 'userId' in notification.target && deps.inbox !== undefined ? notification.target.userId : undefined;
  const inline = pagesUpToThreshold(userId !== undefined ? collected(audience, reached) : audience, deps.config.shardThreshold, shards);
  const { connections: deliveredHere, delivered } = await deliverToConnections(encoded, inline, 1, deps, deadline);
  const pushedUser = deps.push === undefined ? undefined : pushedUserOf(notification.target, deps.push.userTopics);
  if (push !== undefined && pushedUser !== undefined && shards.count === 0) {
    const job = {
      kind: 'push' as const, userId: pushedUser, payload: pushPayload(notification, pushedUser, push),
      ...(push.urgency !== undefined && { urgency: push.urgency }), ...(push.ttl !== undefined && { ttl: push.ttl }), attempt: 1,
    };
    const { seq: at, epoch: of } = notification;
    if (delivered === 0) {
      // No connection of the user took it live (none open, or every post failed): their devices are pushed.
      await deps.queue.sendAll(deps.config.queueUrl, [pushJobMessage(job)]);
    } else if (push.unreadAfter !== undefined && 'userId' in notification.target && at !== undefined && of !== undefined) {
      // Taken live: pushed later only if the user has not marked it read by then.
      await deps.queue.sendAll(deps.config.queueUrl, [pushJobMessage({ ...job, ifUnread: { epoch: of, seq: at } }, push.unreadAfter)]);
    }
  }
  const { seq, epoch } = encoded.notification;
  if (userId !== undefined && seq !== undefined && epoch !== undefined && reached.length > 0) {
    // After the posts: the count never delays the notification itself.
    await deps.inbox!.notified(userId, { seq, epoch }, reached, head).catch((error: unknown) => {
      deps.logger.warn('Could not push the unread count', { notificationId: notification.id, error: String(error) });
    });
  }
  if (shards.count > 0) {
    deps.logger.info('Notification split into shards', {
      notificationId: notification.id, target: describeTarget(notification.target), shards: shards.count,
      connections: shards.connections, connectionsDeliveredHere: deliveredHere,
    });
  } else if (deliveredHere === 0) {
    deps.logger.debug('No connection to deliver to', { notificationId: notification.id, target: describeTarget(notification.target) });
  }
  return encoded;
}

/**
 * Posts a frame that is not a notification (a presence announcement) to a topic's subscribers,
 * once, with the fan-out's in-invocation retries and nothing re-queued; gone connections are
 * removed as usual. Returns how many connections it reached.
 */
export async function announceToTopic(topic: string, frame: Uint8Array, deps: AnnouncementDeps, deadline?: number, exceptConnectionId?: string): Promise<number> {
  const audience = withoutConnection(audiencePages({ topic }, deps.stores), exceptConnectionId);
  const result = await fanOut(audience, frame, deps.post, fanoutOptions(deps, deadline));
  if (result.failed.length + result.notAttempted.length > 0) {
    deps.logger.info('Announcement not posted to every subscriber', {
      topic, failed: result.failed.length, notAttempted: result.notAttempted.length,
    });
  }
  await removeGoneConnections(result.gone, `announcement on ${topic}`, deps, deadline);
  return result.delivered.length;
}

/**
 * Posts frames to one connection, one after the other, each with the fan-out's retries (a
 * replay). Stops at the first that does not arrive; returns whether all did.
 */
export async function postInOrder(connectionId: string, frames: readonly string[], deps: AnnouncementDeps, deadline?: number): Promise<boolean> {
  for (const kept of frames) {
    const frame = deps.payloads ? await deps.payloads.present(kept) : kept;
    const result = await fanOut([connectionId], Buffer.from(frame, 'utf8'), deps.post, fanoutOptions(deps, deadline));
    if (result.delivered.length !== 1) {
      deps.logger.info('Replay stopped: a frame did not reach the connection', {
        connectionId, gone: result.gone.length > 0, reason: result.failed[0]?.reason,
      });
      return false;
    }
  }
  return true;
}

function fanoutOptions(deps: AnnouncementDeps, deadline: number | undefined): FanoutOptions {
  return { concurrency: deps.concurrency, rateLimiter: deps.rateLimiter, retry: deps.postRetry, deadline, clock: deps.clock, random: deps.random };
}

/** The user a notification is pushed to: its user, or with `userTopics` the owner of a `users/<id>/…` topic. */
function pushedUserOf(target: Notification['target'], userTopics: boolean): string | undefined {
  if ('userId' in target) return target.userId;
  const segment = userTopics && 'topic' in target ? topicOwner(target.topic) : undefined;
  if (segment === undefined) return undefined;
  let userId: string;
  try {
    userId = decodeURIComponent(segment);
  } catch {
    return undefined;
  }
  // The one spelling of the id's segment, or no user at all.
  return encodeTopicSegment(userId) === segment ? userId : undefined;
}

/** The pages, the first one read at once (before the caller asks for it). */
function eager<T>(pages: AsyncIterable<T>): AsyncIterable<T> {
  const iterator = pages[Symbol.asyncIterator]();
  const first = iterator.next();
  first.catch(() => undefined); // read by the caller, or abandoned when keeping failed
  return (async function* () {
    for (let page = await first; !page.done; page = await iterator.next()) yield page.value;
  })();
}

/** The pages as they are, each id also added to `into`. */
async function* collected(pages: AsyncIterable<string[]>, into: string[]): AsyncGenerator<string[]> {
  for await (const page of pages) {
    into.push(...page);
    yield page;
  }
}

function withoutConnection(pages: AsyncIterable<string[]>, connectionId: string | undefined): AsyncIterable<string[]> {
  if (connectionId === undefined) return pages;
  return (async function* () {
    for await (const page of pages) yield page.filter((id) => id !== connectionId);
  })();
}

/** Yields the audience's pages while the ids read stay within the threshold; shards the rest. */
async function* pagesUpToThreshold(pages: AsyncIterable<string[]>, threshold: number, shards: ShardSender): AsyncGenerator<string[]> {
  let read = 0;
  for await (const page of pages) {
    read += page.length;
    if (read > threshold) await shards.add(page);
    else yield page;
  }
  await shards.finish();
}

/** Packs ids into shard messages of the first attempt and sends them ten at a time. */
class ShardSender {
  count = 0;
  connections = 0;
  private readonly packer: ShardPacker;
  private batch: OutgoingMessage[] = [];

  constructor(private readonly notification: Notification, private readonly deps: DeliveryDeps) {
    this.packer = new ShardPacker(notification, 1, shardLimits(deps.config));
  }

  async add(connectionIds: readonly string[]): Promise<void> {
    await this.send(this.packer.add(connectionIds), false);
  }

  async finish(): Promise<void> {
    await this.send(this.packer.finish(), true);
  }

  private async send(done: EncodedShard[], flush: boolean): Promise<void> {
    for (const shard of done) {
      this.batch.push(shardMessage(shard, this.notification.id));
      this.count++;
      this.connections += shard.connectionIds.length;
    }
    if (this.batch.length >= LIMITS.maxBatchEntries || (flush && this.batch.length > 0)) {
      const batch = this.batch;
      this.batch = [];
      await this.deps.queue.sendAll(this.deps.config.queueUrl, batch);
    }
  }
}

/**
 * Posts to the connections, then accounts for every one of them (see the module comment).
 * Returns how many connections it posted to or accounted for, and how many of them took the frame
 * at once; with none, it reports nothing.
 */
async function deliverToConnections(
  kept: EncodedNotification,
  connectionIds: FanoutAudience,
  attempt: number,
  deps: DeliveryDeps,
  deadline?: number,
): Promise<{ connections: number; delivered: number }> {
  // A reference is presented as a URL presigned for this attempt: every post of it shares the frame.
  const encoded = deps.payloads ? await deps.payloads.presentEncoded(kept) : kept;
  const { notification } = encoded;
  const started = deps.clock.now();
  const result = await fanOut(connectionIds, encoded.frame, deps.post, fanoutOptions(deps, deadline));
  const connections = result.delivered.length + result.gone.length + result.failed.length + result.notAttempted.length;
  if (connections === 0) return { connections, delivered: 0 };
  // From the first read to the last post: an audience read as it is posted to counts its reads.
  reportFanout(result, notification.id, attempt, connections, deps.clock.now() - started, deps);
  const opening = await removeGoneConnections(result.gone, notification.id, deps, deadline);
  const whenOpen = await postWhenOpen(opening, encoded, deps, deadline);
  const failed = [...result.failed, ...whenOpen.failed];

  const lastAttempt = attempt >= deps.config.maxAttempts;
  const retryLater = lastAttempt ? [] : failed.filter((f) => f.retryable);
  const givenUp = lastAttempt ? failed : failed.filter((f) => !f.retryable);
  logFailures(failed, notification.id, attempt, lastAttempt, deps);
  await requeue(notification, result.notAttempted, retryLater, attempt, deps);
  await deadLetter(notification, givenUp, attempt, deps);
  return { connections, delivered: result.delivered.length + whenOpen.delivered };
}

function reportFanout(result: FanoutResult, notificationId: string, attempt: number, connections: number, durationMs: number, deps: DeliveryDeps): void {
  const { metrics } = deps;
  metrics.fanoutDurationMs(durationMs);
  deps.logger.debug('Fan-out done', {
    notificationId, attempt, connections, delivered: result.delivered.length,
    gone: result.gone.length, failed: result.failed.length, notAttempted: result.notAttempted.length, throttled: result.throttled, durationMs,
  });
  metrics.count(MetricNames.delivered, result.delivered.length);
  if (result.throttled > 0) metrics.count(MetricNames.throttled, result.throttled);
  if (result.gone.length > 0) metrics.count(MetricNames.gone, result.gone.length);
}

/**
 * Puts back on the queue the connections not tried for lack of time (the same attempt again, at
 * once) and those to retry later (the next attempt, after a backoff), in shard messages.
 */
async function requeue(
  notification: Notification, notAttempted: readonly string[], retryLater: readonly FailedDelivery[], attempt: number, deps: DeliveryDeps,
): Promise<void> {
  const limits = shardLimits(deps.config);
  const messages: OutgoingMessage[] = [];
  if (notAttempted.length > 0) {
    deps.logger.warn('Lambda time running out; re-queueing the connections not yet tried', {
      notificationId: notification.id, connections: notAttempted.length,
    });
    for (const shard of packShards(notification, notAttempted, attempt, limits)) {
      messages.push(shardMessage(shard, notification.id));
    }
  }
  if (retryLater.length > 0) {
    const reasons = Object.fromEntries(retryLater.map((f) => [f.connectionId, f.reason]));
    for (const shard of packShards(notification, retryLater.map((f) => f.connectionId), attempt + 1, limits, reasons)) {
      messages.push(shardMessage(shard, notification.id, requeueDelaySeconds(attempt + 1, deps.random)));
    }
  }
  if (messages.length > 0) await deps.queue.sendAll(deps.config.queueUrl, messages);
}

/** Sends the connections given up on to the dead-letter queue, with their reasons. */
async function deadLetter(notification: Notification, givenUp: readonly FailedDelivery[], attempt: number, deps: DeliveryDeps): Promise<void> {
  if (givenUp.length === 0) return;
  await deps.queue.sendAll(deps.config.deadLetterQueueUrl, undeliveredMessages(notification, givenUp, attempt, shardLimits(deps.config)));
  deps.metrics.count(MetricNames.failed, givenUp.length);
  if (givenUp.some((f) => f.reason === 'PAYLOAD_TOO_LARGE')) deps.metrics.count(MetricNames.tooLarge, 1);
}

/**
 * Posts again to connections that answered 410 while their $connect may still have been running,
 * a few times over about a second and a half while the deadline allows. Returns those it could
 * not reach, as failures to retry later (or for good, when they failed for good).
 */
async function postWhenOpen(
  connectionIds: readonly string[], encoded: EncodedNotification, deps: DeliveryDeps, deadline?: number,
): Promise<{ failed: FailedDelivery[]; delivered: number }> {
  const failed: FailedDelivery[] = [];
  let delivered = 0;
  let opening = connectionIds;
  for (const delayMs of OPENING_RETRY_DELAYS_MS) {
    if (opening.length === 0 || (deadline !== undefined && deps.clock.now() + delayMs >= deadline)) break;
    await deps.clock.sleep(delayMs);
    const result = await fanOut(opening, encoded.frame, deps.post, fanoutOptions(deps, deadline));
    deps.metrics.count(MetricNames.delivered, result.delivered.length);
    delivered += result.delivered.length;
    failed.push(...result.failed);
    opening = [...result.notAttempted, ...await removeGoneConnections(result.gone, encoded.notification.id, deps, deadline)];
  }
  return {
    delivered,
    failed: [...failed, ...opening.map((connectionId): FailedDelivery => ({
      connectionId, reason: 'OPENING', retryable: true, detail: 'The connection\'s handshake was not done yet (410 during its $connect).',
    }))],
  };
}

/**
 * Forgets the connections that answered 410, but not those whose $connect may still be running:
 * returns those, for the caller to try again, with those it could not settle (no time left, or
 * DynamoDB failing): a connection still opening must never be dropped unaccounted for.
 */
async function removeGoneConnections(gone: readonly string[], notificationId: string, deps: AnnouncementDeps, deadline?: number): Promise<string[]> {
  let skipped = 0;
  const opening: string[] = [];
  await forEachConcurrently(gone, CLEANUP_CONCURRENCY, async (connectionId) => {
    if (deadline !== undefined && deps.clock.now() >= deadline) {
      skipped++;
      opening.push(connectionId);
      return;
    }
    try {
      if (!await removeGoneConnection(deps.stores, connectionId, deps.clock.now(), deps.endings)) opening.push(connectionId);
    } catch (error) {
      // Not worth failing the delivery; but it may be a connection still opening: tried again later.
      deps.logger.warn('Could not remove a gone connection', { notificationId, connectionId, error: String(error) });
      opening.push(connectionId);
    }
  });
  if (skipped > 0) {
    deps.logger.warn('Lambda time running out; gone connections tried again later', { notificationId, connections: skipped });
  }
  return opening;
}

function logFailures(failed: readonly FailedDelivery[], notificationId: string, attempt: number, lastAttempt: boolean, deps: DeliveryDeps): void {
  if (failed.length === 0) return;
  for (const f of failed.slice(0, MAX_FAILURES_LOGGED)) {
    const final = lastAttempt || !f.retryable;
    deps.logger.warn(final ? 'Delivery to a connection failed; sending it to the dead-letter queue' : 'Delivery to a connection failed; it will be retried', {
      notificationId, connectionId: f.connectionId, reason: f.reason, attempt, error: f.detail,
    });
  }
  if (failed.length > MAX_FAILURES_LOGGED) {
    deps.logger.warn('More deliveries failed', {
      notificationId, attempt, connections: failed.length - MAX_FAILURES_LOGGED,
      reasons: summariseReasons(failed.slice(MAX_FAILURES_LOGGED).map((f) => f.reason)),
    });
  }
}

function shardLimits(config: DeliverConfig): ShardLimits {
  return { maxIds: config.shardSize, maxBytes: DEFAULT_SHARD_MAX_BYTES };
}

function shardMessage(shard: EncodedShard, notificationId: string, delaySeconds?: number): OutgoingMessage {
  return {
    body: shard.body,
    delaySeconds,
    attributes: { notificationId, attempt: String(shard.attempt) },
  };
}
