/**
 * Streams with history: their positions (a head per stream, in the counters table) and their
 * kept notifications (the history table, one row per position, expiring with the retention).
 *
 * A notification's position is given once, and a redelivery finds it again:
 *
 * 1. its claim (stream, notification id) is read, when it may have been delivered before; a
 *    claimed notification keeps its position;
 * 2. otherwise the head's `last` is incremented (one atomic update), which gives the next seq;
 *    notifications waiting for a position in the same stream meanwhile take theirs together, in
 *    one update (position-blocks.ts);
 * 3. the claim is written, on condition that none exists, and the frame kept at its position, at
 *    once, before anything is posted; when a concurrent delivery of the same notification claimed
 *    first, that position is used and the one taken here is marked void in the history, so the
 *    stream has no unexplained gap.
 *
 * A write cut off between 2 and 3 marks the position void on its way out. Only a crash there
 * leaves a position with nothing behind it: a client resuming across it is told
 * `recovered: false`, never given a wrong history.
 *
 * A hot topic's kept notifications and claims are spread over several partition keys (keys.ts):
 * reads of its stream merge them in position order.
 */
import { randomBytes } from 'node:crypto';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, QueryCommandOutput, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Tables } from '../../lib/private/runtime-contract';
import { isConditionalCheckFailed } from '../stores/errors';
import { historyKey, historyPartitionKeys, positionClaimKey, streamHeadKey } from '../stores/keys';
import { PositionBlocks } from './position-blocks';

const H = Tables.history;
/** Items per page of a read that a byte budget may stop. */
const BUDGETED_PAGE_ITEMS = 16;
const K = Tables.counters;

export interface Position {
  readonly seq: number;
  /** Changes when the stream's history is lost or starts over. */
  readonly epoch: string;
}

/** A kept notification: the frame as posted, or a void position. */
export interface KeptNotification {
  readonly seq: number;
  /** Absent for a void position (a position taken and then not used). */
  readonly frame?: string;
}

export interface HistoryStoreOptions {
  /** A new stream's epoch. @default 6 random bytes, base64url */
  readonly newEpoch?: () => string;
  /** Partition keys a stream's kept notifications and claims are spread over (a hot topic's). @default 1 for every stream */
  readonly partitionsOf?: (stream: string) => number;
}

export class HistoryStore {
  private readonly newEpoch: () => string;
  private readonly partitionsOf: (stream: string) => number;
  private readonly positions = new PositionBlocks((stream, count, nowMs) => this.advance(stream, count, nowMs));

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly historyTable: string,
    private readonly countersTable: string,
    /** How long a stream's notifications are kept: one figure, or one per stream (the user streams keep theirs). */
    private readonly retentionSeconds: number | ((stream: string) => number),
    options: HistoryStoreOptions = {},
  ) {
    this.newEpoch = options.newEpoch ?? (() => randomBytes(6).toString('base64url'));
    this.partitionsOf = options.partitionsOf ?? (() => 1);
  }

  /**
   * The position a notification was given in the stream, if it was. An eventually consistent
   * read is enough to find the claim of an earlier receive (SQS redelivers minutes later); the
   * claim's conditional write settles a race with a concurrent one.
   */
  async claimed(stream: string, notificationId: string, consistent = false): Promise<Position | undefined> {
    const partitions = this.partitionsOf(stream);
    // On a hot topic's stream, a claim from before it was named is under the unsuffixed key.
    const keys = partitions > 1 ? [positionClaimKey(stream, notificationId, partitions), positionClaimKey(stream, notificationId)] : [positionClaimKey(stream, notificationId)];
    for (const key of keys) {
      const { Item } = await this.doc.send(new GetCommand({ TableName: this.countersTable, Key: key, ConsistentRead: consistent }));
      if (Item !== undefined) return { seq: Number(Item.seq), epoch: String(Item.epoch) };
    }
    return undefined;
  }

  /**
   * Gives a notification its position and keeps its frame (the steps above); idempotent per
   * notification id. `frameAt` builds the frame for a position. The claim is looked up first only
   * when the notification may have been positioned before (`mayBeRedelivery`); the claim and the
   * frame are then written together.
   */
  async positionAndKeep(
    stream: string, notificationId: string, frameAt: (position: Position) => string, nowMs: number, mayBeRedelivery = true,
  ): Promise<{ position: Position; frame: string }> {
    return (await this.position(stream, notificationId, frameAt, nowMs, mayBeRedelivery)).kept;
  }

  /**
   * The steps above, resolving as soon as the position is known (one round trip on a first
   * receive: the head's increment), with `kept`, which settles once the claim and the frame are
   * written (the position that counts, should a concurrent delivery of the same id have claimed
   * first). The caller may post the frame meanwhile, and must await `kept` before it reports the
   * notification done: a failure there is retried like any other.
   */
  async position(
    stream: string, notificationId: string, frameAt: (position: Position) => string, nowMs: number, mayBeRedelivery = true,
  ): Promise<{ position: Position; frame: string; kept: Promise<{ position: Position; frame: string }>; head?: Record<string, unknown> }> {
    const known = mayBeRedelivery ? await this.claimed(stream, notificationId) : undefined;
    if (known) {
      const done = await this.keepAt(stream, known, frameAt, nowMs);
      return { ...done, kept: Promise.resolve(done) };
    }
    const { seq, with: { epoch, head } } = await this.positions.take(stream, nowMs);
    const taken = { seq, epoch };
    const frame = frameAt(taken);
    const kept = this.claimAndKeep(stream, notificationId, taken, frame, frameAt, nowMs);
    // Awaited by the caller; never an unhandled rejection meanwhile.
    kept.catch(() => undefined);
    // `head`: the head's attributes as the increment left them (the inbox's read state is there
    // too), at this position: a block's increment left the last of its positions.
    return { position: taken, frame, kept, head: { ...head, last: seq } };
  }

  private async claimAndKeep(
    stream: string, notificationId: string, taken: Position, frame: string, frameAt: (position: Position) => string, nowMs: number,
  ): Promise<{ position: Position; frame: string }> {
    const [claiming, keeping] = await Promise.allSettled([
      this.claim(stream, notificationId, taken, nowMs),
      this.keep(stream, taken.seq, frame, nowMs),
    ]);
    if (claiming.status === 'fulfilled') {
      if (keeping.status === 'rejected') throw keeping.reason;
      return { position: taken, frame };
    }
    if (!isConditionalCheckFailed(claiming.reason)) {
      // Cut off (an abort as time runs out, a failing table): the position taken is marked void
      // if it still can be, so replays across it are not refused for a gap.
      await this.keep(stream, taken.seq, undefined, nowMs).then(() => this.onVoid?.(stream, taken.seq)).catch(() => undefined);
      throw claiming.reason;
    }
    // A concurrent delivery of the same notification claimed first: its position counts, and the
    // one taken here is marked void (its frame was a copy, with the same id).
    await this.keep(stream, taken.seq, undefined, nowMs);
    await this.onVoid?.(stream, taken.seq);
    const winner = await this.claimed(stream, notificationId, true);
    if (!winner) throw new Error(`The position claim of ${notificationId} in ${stream} vanished; retry.`);
    return this.keepAt(stream, winner, frameAt, nowMs);
  }

  private async keepAt(stream: string, position: Position, frameAt: (position: Position) => string, nowMs: number): Promise<{ position: Position; frame: string }> {
    const frame = frameAt(position);
    // Kept again: the delivery that claimed it may have been cut off before keeping it.
    await this.keep(stream, position.seq, frame, nowMs);
    return { position, frame };
  }

  private async claim(stream: string, notificationId: string, taken: Position, nowMs: number): Promise<void> {
    await this.doc.send(new PutCommand({
        TableName: this.countersTable,
        Item: { ...positionClaimKey(stream, notificationId, this.partitionsOf(stream)), seq: taken.seq, epoch: taken.epoch, [K.ttlAttribute]: this.expiry(stream, nowMs) },
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': K.partitionKey },
    }));
  }

  /** Told of each position marked void (taken, then not used): the inbox does not count it unread. */
  onVoid?: (stream: string, seq: number) => Promise<void>;

  /** Keeps a frame at its position (or, without a frame, marks the position void). */
  async keep(stream: string, seq: number, frame: string | undefined, nowMs: number): Promise<void> {
    await this.doc.send(new PutCommand({
      TableName: this.historyTable,
      Item: { ...historyKey(stream, seq, this.partitionsOf(stream)), ...(frame !== undefined ? { frame } : { void: true }), [H.ttlAttribute]: this.expiry(stream, nowMs) },
    }));
  }

  /** The stream's current position; a stream never written gets its epoch now, at seq 0. */
  async head(stream: string, nowMs: number): Promise<Position> {
    const { Item } = await this.doc.send(new GetCommand({ TableName: this.countersTable, Key: streamHeadKey(stream), ConsistentRead: true }));
    if (Item?.epoch !== undefined) return { seq: Number(Item.last ?? 0), epoch: String(Item.epoch) };
    const { Attributes } = await this.doc.send(new UpdateCommand({
      TableName: this.countersTable,
      Key: streamHeadKey(stream),
      UpdateExpression: 'SET #epoch = if_not_exists(#epoch, :epoch), #since = if_not_exists(#since, :now), #last = if_not_exists(#last, :zero), #ttl = :ttl',
      ExpressionAttributeNames: { '#epoch': 'epoch', '#since': 'since', '#last': 'last', '#ttl': K.ttlAttribute },
      ExpressionAttributeValues: { ':epoch': this.newEpoch(), ':now': Math.floor(nowMs / 1000), ':zero': 0, ':ttl': this.expiry(stream, nowMs) },
      ReturnValues: 'ALL_NEW',
    }));
    return { seq: Number(Attributes?.last ?? 0), epoch: String(Attributes?.epoch) };
  }

  /**
   * Kept notifications after `afterSeq`, oldest first, up to `limit` positions. `consistent`
   * reads include every notification kept before the read, at twice the read units.
   */
  async after(stream: string, afterSeq: number, limit: number, consistent = false): Promise<KeptNotification[]> {
    return this.read(stream, '#seq > :from', afterSeq, limit, true, consistent);
  }

  /**
   * Kept notifications before `beforeSeq`, newest first, up to `limit` positions, reading no
   * further once the frames read pass `maxBytes`.
   */
  async before(stream: string, beforeSeq: number, limit: number, maxBytes = Number.POSITIVE_INFINITY): Promise<KeptNotification[]> {
    return this.read(stream, '#seq < :from', beforeSeq, limit, false, false, maxBytes);
  }

  /**
   * Reads each partition key of the stream a page at a time and merges them in position order: a
   * position is taken only once every key not read to its end has a page in hand, so none is
   * skipped. One key (any stream but a hot topic's) is read as a plain paginated Query.
   */
  private async read(
    stream: string, condition: string, from: number, limit: number, forward: boolean, consistent: boolean, maxBytes = Number.POSITIVE_INFINITY,
  ): Promise<KeptNotification[]> {
    let bytes = 0;
    const kept: KeptNotification[] = [];
    const keys = historyPartitionKeys(stream, this.partitionsOf(stream));
    const cursors = keys.map((key) => ({ key, page: [] as KeptNotification[], start: undefined as Record<string, unknown> | undefined, done: false }));
    const readPage = async (cursor: typeof cursors[number]) => {
      const page: QueryCommandOutput = await this.doc.send(new QueryCommand({
        TableName: this.historyTable,
        KeyConditionExpression: `#stream = :stream AND ${condition}`,
        ExpressionAttributeNames: { '#stream': H.partitionKey, '#seq': H.sortKey },
        ExpressionAttributeValues: { ':stream': cursor.key, ':from': from },
        ScanIndexForward: forward,
        ConsistentRead: consistent,
        // Small pages when a byte budget may stop the read early; with shards, each one's share of
        // the rest (the unsuffixed key, where rows from before are, is mostly empty).
        Limit: Math.min(Math.ceil((limit - kept.length) / Math.max(1, keys.length - 1)) + (keys.length > 1 ? 1 : 0),
          maxBytes === Number.POSITIVE_INFINITY ? limit : BUDGETED_PAGE_ITEMS),
        ExclusiveStartKey: cursor.start,
      }));
      cursor.page = (page.Items ?? []).map((item) => (item.frame === undefined
        ? { seq: Number(item[H.sortKey]) } : { seq: Number(item[H.sortKey]), frame: String(item.frame) }));
      cursor.start = page.LastEvaluatedKey;
      cursor.done = cursor.start === undefined;
    };
    const before = (a: KeptNotification, b: KeptNotification) => (forward ? a.seq < b.seq : a.seq > b.seq);
    while (kept.length < limit && bytes <= maxBytes) {
      let empty = cursors.filter((c) => c.page.length === 0 && !c.done);
      while (empty.length > 0) {
        await Promise.all(empty.map(readPage));
        empty = cursors.filter((c) => c.page.length === 0 && !c.done);
      }
      let next: typeof cursors[number] | undefined;
      for (const cursor of cursors) if (cursor.page.length > 0 && (next === undefined || before(cursor.page[0], next.page[0]))) next = cursor;
      if (next === undefined) break;
      const item = next.page.shift()!;
      kept.push(item);
      bytes += item.frame === undefined ? 0 : Buffer.byteLength(item.frame);
    }
    return kept;
  }

  /**
   * Takes the next `count` positions: one atomic update of the head, which also starts a new
   * stream's epoch. `head`: the head's attributes as the update left them, for the last of them.
   */
  private async advance(stream: string, count: number, nowMs: number): Promise<{ last: number; with: { epoch: string; head: Record<string, unknown> } }> {
    const { Attributes } = await this.doc.send(new UpdateCommand({
      TableName: this.countersTable,
      Key: streamHeadKey(stream),
      // The head lives as long as the stream's newest kept notification: once it expires, so has
      // every notification, and the stream starts over in a new epoch.
      // `since`: when the epoch started (nothing in it is older, so nothing expired before since + retention).
      UpdateExpression: 'SET #epoch = if_not_exists(#epoch, :epoch), #since = if_not_exists(#since, :now), #ttl = :ttl ADD #last :count',
      ExpressionAttributeNames: { '#epoch': 'epoch', '#since': 'since', '#last': 'last', '#ttl': K.ttlAttribute },
      ExpressionAttributeValues: { ':epoch': this.newEpoch(), ':now': Math.floor(nowMs / 1000), ':count': count, ':ttl': this.expiry(stream, nowMs) },
      ReturnValues: 'ALL_NEW',
    }));
    return { last: Number(Attributes?.last), with: { epoch: String(Attributes?.epoch), head: Attributes ?? {} } };
  }

  private expiry(stream: string, nowMs: number): number {
    return Math.floor(nowMs / 1000) + this.retention(stream);
  }

  /** How long the stream's notifications are kept, in seconds. */
  retention(stream: string): number {
    return typeof this.retentionSeconds === 'number' ? this.retentionSeconds : this.retentionSeconds(stream);
  }
}
