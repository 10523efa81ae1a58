/**
 * The inbox on the bus: a backend's `MarkRead` event (checked against its schema in
 * lib/private/protocol/inbox-events.ts) and the `NotificationsRead` event every mark-read that
 * changed something puts on the bus.
 */
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { isJsonObject } from '../../lib/private/json-object';
import { firstViolation } from '../../lib/private/protocol/json-schema';
import { INBOX_EVENT_SOURCE, MARK_READ_DETAIL_TYPE, NOTIFICATIONS_READ_DETAIL_TYPE } from '../../lib/private/protocol/inbox-event-names';
import { MARK_READ_DETAIL } from '../../lib/private/protocol/inbox-events';
import type { StreamPosition } from '../protocol/frames';
import type { MarkedRead } from './inbox';

export type BusMarkRead =
  | { readonly ok: true; readonly userId: string; readonly ids?: string[]; readonly upTo?: StreamPosition }
  | { readonly ok: false; readonly message: string };

/** Whether a queue message is a backend's mark-read. */
export function isMarkReadEvent(body: unknown): body is Record<string, unknown> {
  return isJsonObject(body) && body['detail-type'] === MARK_READ_DETAIL_TYPE;
}

export function parseMarkReadEvent(body: Record<string, unknown>): BusMarkRead {
  const detail = body.detail;
  if (!isJsonObject(detail)) return { ok: false, message: 'The MarkRead event has no JSON object "detail", such as {"userId":"alice","ids":["n-1"]}.' };
  const violation = firstViolation(detail, MARK_READ_DETAIL);
  if (violation) return { ok: false, message: violation.message };
  if ((detail.ids === undefined) === (detail.upTo === undefined)) {
    return { ok: false, message: 'A MarkRead detail needs exactly one of "ids" (notification ids) or "upTo" (a position such as {"epoch":"p0x1","seq":9}).' };
  }
  const upTo = isJsonObject(detail.upTo) ? { epoch: String(detail.upTo.epoch), seq: Number(detail.upTo.seq) } : undefined;
  return { ok: true, userId: String(detail.userId), ...(detail.ids !== undefined ? { ids: detail.ids as string[] } : {}), ...(upTo ? { upTo } : {}) };
}

export function notificationsReadEntry(read: MarkedRead, eventBusName: string): PutEventsRequestEntry {
  const { by, ...rest } = read;
  return {
    EventBusName: eventBusName,
    Source: INBOX_EVENT_SOURCE,
    DetailType: NOTIFICATIONS_READ_DETAIL_TYPE,
    Time: new Date(read.time),
    Detail: JSON.stringify({ ...rest, ...('connectionId' in by ? { connectionId: by.connectionId } : {}) }),
  };
}

/**
 * Puts `NotificationsRead` events on the bus; throws when EventBridge did not take the entry. The
 * EventBridge client is loaded on first use: deliver needs it only for mark-reads.
 */
export function createReadAnnouncer(eventBusName: string): (read: MarkedRead) => Promise<void> {
  let client: import('@aws-sdk/client-eventbridge').EventBridgeClient | undefined;
  return async (read) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const eb = require('@aws-sdk/client-eventbridge') as typeof import('@aws-sdk/client-eventbridge');
    client ??= new eb.EventBridgeClient({});
    const result = await client.send(new eb.PutEventsCommand({ Entries: [notificationsReadEntry(read, eventBusName)] }));
    if ((result.FailedEntryCount ?? 0) > 0) {
      const entry = result.Entries?.[0];
      throw new Error(`EventBridge refused the NotificationsRead event: ${entry?.ErrorCode ?? 'unknown'} ${entry?.ErrorMessage ?? ''}`.trim());
    }
  };
}
