/**
 * The read state of each user's own stream (the inbox), in the counters table, and what the
 * unread count is read from:
 *
 * - the stream's head (`last`, in the counters table: history-store.ts) counts every position;
 * - the read state, on the same head item: `upTo` (every seq up to it is read), `above` (the seqs
 *   read beyond `upTo`, kept short: a run that reaches `upTo` is folded into it) and `version`
 *   (+1 per change); the head's epoch is the state's;
 * - unread = head − max(upTo, expired) − |above ∩ (max(upTo, expired), head]|.
 *
 * Only mark-reads write the read state, each with a conditional update on the version it read
 * (compare-and-set, retried on a conflict): two devices marking at once are serialised, a retried
 * mark-read changes nothing, and a notification arriving meanwhile only moves `last`. Each count
 * is taken from one snapshot of the item (what a mark-read's or a notification's update returned),
 * so counts are ordered by their `seq` and `version` together. Nothing here is on the
 * notification's way to its first post.
 */
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, QueryCommand, QueryCommandOutput, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Position } from '../history/history-store';
import { Tables } from '../../lib/private/runtime-contract';
import { isConditionalCheckFailed } from '../stores/errors';
import { positionClaimKey, streamHeadKey } from '../stores/keys';

const K = Tables.counters;
const H = Tables.history;

/**
 * The read state is kept on the stream's head (history-store.ts), beside its position: the head's
 * increment that positions a notification returns the read state with it, so the count pushed
 * after a notification needs no read of its own, and every count is taken from one snapshot.
 */
const READ = { upTo: 'readUpTo', above: 'readAbove', version: 'readVersion' } as const;

/** The head and the read state from the head's attributes (as read, or as an update returned them). */
export function headAndState(item: Record<string, unknown>): HeadAndState {
  const epoch = String(item.epoch);
  return {
    ...(item.since !== undefined ? { since: Number(item.since) } : {}),
    head: { seq: Number(item.last ?? 0), epoch },
    state: { epoch, upTo: Number(item[READ.upTo] ?? 0), above: ((item[READ.above] ?? []) as unknown[]).map(Number), version: Number(item[READ.version] ?? 0) },
  };
}

export interface HeadAndState {
  readonly head: Position;
  readonly state: ReadState;
  /** When the epoch started (epoch seconds), when the head says: nothing in it is older. */
  readonly since?: number;
}

export interface ReadState {
  readonly epoch: string;
  /** Every seq up to and including this one is read. */
  readonly upTo: number;
  /** Seqs above `upTo` read one by one, ascending. */
  readonly above: readonly number[];
  /** +1 per change in this epoch. */
  readonly version: number;
}

/** The read state of an epoch nothing was marked read in. */
export function unreadState(epoch: string): ReadState {
  return { epoch, upTo: 0, above: [], version: 0 };
}

/** Whether `seq` is read in `state`. */
export function isRead(state: ReadState, seq: number): boolean {
  return seq <= state.upTo || state.above.includes(seq);
}

/**
 * The state with `upTo` raised to `upTo` (if higher) and `seqs` added; runs reaching `upTo` are
 * folded into it. The same state (by value) when nothing changes.
 */
export function withRead(state: ReadState, change: { upTo?: number; seqs?: readonly number[] }): ReadState {
  let upTo = Math.max(state.upTo, change.upTo ?? 0);
  const above = new Set([...state.above, ...(change.seqs ?? [])].filter((s) => s > upTo));
  while (above.delete(upTo + 1)) upTo++;
  const sorted = [...above].sort((a, b) => a - b);
  const same = upTo === state.upTo && sorted.length === state.above.length && sorted.every((s, i) => s === state.above[i]);
  return same ? state : { epoch: state.epoch, upTo, above: sorted, version: state.version + 1 };
}

/** Notifications not read at `head`, given the seq up to which the stream's notifications expired. */
export function unreadCount(state: ReadState, head: number, expiredUpTo: number): number {
  const from = Math.max(state.upTo, expiredUpTo);
  if (head <= from) return 0;
  return head - from - state.above.filter((s) => s > from && s <= head).length;
}

/** Rows the walk past expired notifications reads at most per page, and pages at most. */
const EXPIRY_PAGE = 25;
const EXPIRY_PAGES = 4;
/**
 * A position missing below a notification kept longer ago than this is not one still being kept
 * (a function's longest run is 15 minutes): it expired (and was deleted) or was never used.
 */
const IN_FLIGHT_MS = 15 * 60 * 1000;

/** Streams whose expiry floor one instance remembers at most. */
const FLOORS_KEPT = 10_000;

export class ReadStateStore {
  /**
   * Per stream, the seq up to which its notifications are gone and when the oldest one kept expires:
   * until then nothing more expires, and the count needs no Query (one per stream per instance).
   */
  private readonly floors = new Map<string, { readonly from: number; readonly floor: number; readonly until: number }>();

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly countersTable: string,
    private readonly historyTable: string,
    /** How long a stream keeps its notifications, to tell when a live row was kept. */
    private readonly retentionOf: (stream: string) => number,
  ) {}

  /** The stream's head and its read state, read together (one consistent GetItem); undefined for a stream never written. */
  async get(stream: string): Promise<HeadAndState | undefined> {
    const { Item } = await this.doc.send(new GetCommand({ TableName: this.countersTable, Key: streamHeadKey(stream), ConsistentRead: true }));
    return Item?.epoch === undefined ? undefined : headAndState(Item);
  }

  /**
   * Writes `next` on the head if the read state there is still `previous` (its epoch and version);
   * the head and state after the write, or undefined when another mark-read came first. Only the
   * read state is written: the position and its expiry are the notifications'.
   */
  async put(stream: string, next: ReadState, previous: ReadState): Promise<HeadAndState | undefined> {
    try {
      const { Attributes } = await this.doc.send(new UpdateCommand({
        TableName: this.countersTable,
        Key: streamHeadKey(stream),
        UpdateExpression: 'SET #up = :up, #above = :above, #rv = :next',
        ConditionExpression: previous.version === 0 ? '#e = :e AND (attribute_not_exists(#rv) OR #rv = :v)' : '#e = :e AND #rv = :v',
        ExpressionAttributeNames: { '#e': 'epoch', '#up': READ.upTo, '#above': READ.above, '#rv': READ.version },
        ExpressionAttributeValues: { ':e': previous.epoch, ':v': previous.version, ':up': next.upTo, ':above': next.above, ':next': next.version },
        ReturnValues: 'ALL_NEW',
      }));
      return headAndState(Attributes!);
    } catch (error) {
      if (isConditionalCheckFailed(error)) return undefined;
      throw error;
    }
  }

  /**
   * The positions the ids were given in the user's stream (their claims), by id: consistent reads,
   * so a notification just posted is found. Ids of other streams (another user's) are not found.
   */
  async positionsOf(stream: string, ids: readonly string[]): Promise<Map<string, { seq: number; epoch: string }>> {
    const found = new Map<string, { seq: number; epoch: string }>();
    let keys: Record<string, unknown>[] = [...new Set(ids)].map((id) => ({ ...positionClaimKey(stream, id) }));
    for (let round = 0; keys.length > 0 && round < 5; round++) {
      const { Responses, UnprocessedKeys } = await this.doc.send(new BatchGetCommand({
        RequestItems: { [this.countersTable]: { Keys: keys, ConsistentRead: true } },
      }));
      for (const item of Responses?.[this.countersTable] ?? []) {
        found.set(String(item[K.sortKey]), { seq: Number(item.seq), epoch: String(item.epoch) });
      }
      keys = (UnprocessedKeys?.[this.countersTable]?.Keys ?? []) as Record<string, unknown>[];
    }
    if (keys.length > 0) throw new Error('DynamoDB left claims unread after retries; try again.');
    return found;
  }

  /**
   * The seq up to which the stream's notifications above `from` have expired: rows past their
   * expiry (DynamoDB deletes them late), and positions missing below the first live row when that
   * row is older than any delivery still running. `from` when none has.
   */
  async expiredUpTo(stream: string, from: number, nowMs: number): Promise<number> {
    const now = Math.floor(nowMs / 1000);
    const known = this.floors.get(stream);
    // Read from `known.from` on, it says nothing of what lies below.
    if (known !== undefined && now < known.until && from >= known.from) return Math.max(from, known.floor);
    const { floor, until } = await this.readFloor(stream, from, nowMs);
    if (until !== undefined) {
      if (this.floors.size >= FLOORS_KEPT) this.floors.clear();
      this.floors.set(stream, { from, floor, until });
    }
    return floor;
  }

  private async readFloor(stream: string, from: number, nowMs: number): Promise<{ floor: number; until?: number }> {
    const now = Math.floor(nowMs / 1000);
    let floor = from;
    let start: Record<string, unknown> | undefined;
    for (let page = 0; page < EXPIRY_PAGES; page++) {
      const result: QueryCommandOutput = await this.doc.send(new QueryCommand({
        TableName: this.historyTable,
        KeyConditionExpression: '#s = :s AND #q > :from',
        ExpressionAttributeNames: { '#s': H.partitionKey, '#q': H.sortKey, '#t': H.ttlAttribute },
        ExpressionAttributeValues: { ':s': stream, ':from': from },
        ProjectionExpression: '#q, #t',
        Limit: page === 0 ? 1 : EXPIRY_PAGE,
        ExclusiveStartKey: start,
      }));
      for (const item of result.Items ?? []) {
        const seq = Number(item[H.sortKey]);
        const expiresAt = Number(item[H.ttlAttribute]);
        if (expiresAt <= now) {
          floor = seq;
          continue;
        }
        const keptAtMs = (expiresAt - this.retentionOf(stream)) * 1000;
        // Remembered only when the gap below is settled: no delivery still keeping a position there.
        return keptAtMs < nowMs - IN_FLIGHT_MS || seq === floor + 1 ? { floor: keptAtMs < nowMs - IN_FLIGHT_MS ? seq - 1 : floor, until: expiresAt } : { floor };
      }
      start = result.LastEvaluatedKey;
      if (start === undefined) break;
    }
    return { floor };
  }
}
