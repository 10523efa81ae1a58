/**
 * PutEvents as EventBridge validates it and the events it makes from the entries: the request and
 * entry checks with EventBridge's error codes and messages, and the event JSON a rule target (an
 * SQS queue) receives. Pure.
 */
import { randomUUID } from 'node:crypto';
import { isJsonObject } from '../../lib/private/json-object';
import { LIMITS } from '../../lib/private/runtime-contract';

/** EventBridge refuses a request whose entries add up to more than 256 KB. */
export const MAX_REQUEST_BYTES = LIMITS.maxPutEventsBytes;
export const MAX_ENTRIES = LIMITS.maxBatchEntries;
/** EventBridge processes Detail JSON nested at most this many levels deep. */
export const MAX_DETAIL_DEPTH = 1000;

export interface PutEventsEntry {
  readonly Source?: unknown;
  readonly DetailType?: unknown;
  readonly Detail?: unknown;
  readonly EventBusName?: unknown;
  readonly Resources?: unknown;
  readonly Time?: unknown;
  readonly TraceHeader?: unknown;
}

/** The event as EventBridge delivers it to targets. */
export interface BusEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: string[];
  readonly detail: unknown;
}

/** A whole-request error (a malformed request): HTTP 400 with this `__type`. Entries' problems are answered per entry. */
export class PutEventsRequestError extends Error {
  constructor(readonly type: string, message: string) {
    super(message);
  }
}

export type EntryOutcome =
  | { readonly ok: true; readonly event: BusEvent; readonly busName: string }
  | { readonly ok: false; readonly errorCode: string; readonly errorMessage: string };

export interface BusDescription {
  readonly name: string;
  readonly region: string;
  readonly account: string;
}

export function busArn(bus: BusDescription, name = bus.name): string {
  return `arn:aws:events:${bus.region}:${bus.account}:event-bus/${name}`;
}

/** Checks the request as a whole; throws PutEventsRequestError as EventBridge would answer 400. */
export function validateRequest(request: unknown): PutEventsEntry[] {
  const entries = (request as { Entries?: unknown } | null)?.Entries;
  if (!Array.isArray(entries)) {
    throw new PutEventsRequestError('ValidationException', "1 validation error detected: Value null at 'entries' failed to satisfy constraint: Member must not be null");
  }
  if (entries.length < 1 || entries.length > MAX_ENTRIES) {
    throw new PutEventsRequestError('ValidationException',
      `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and ${MAX_ENTRIES} (got ${entries.length})`);
  }
  const notObject = entries.findIndex((entry) => !isJsonObject(entry));
  if (notObject >= 0) {
    throw new PutEventsRequestError('SerializationException', `Entries[${notObject}] is not an object; each entry is {"Source", "DetailType", "Detail", ...}.`);
  }
  const size = entries.reduce((sum: number, entry: PutEventsEntry) => sum + entrySize(entry), 0);
  if (size > MAX_REQUEST_BYTES) {
    throw new PutEventsRequestError('ValidationException', `Total size of the entries in the request is over the limit (${size} bytes; the limit is ${MAX_REQUEST_BYTES}).`);
  }
  return entries as PutEventsEntry[];
}

/** EventBridge's entry-size formula: Time (14 bytes if set) + Source + DetailType + Detail + Resources, UTF-8. */
export function entrySize(entry: PutEventsEntry): number {
  let size = entry.Time !== undefined ? 14 : 0;
  for (const field of [entry.Source, entry.DetailType, entry.Detail]) {
    if (typeof field === 'string') size += Buffer.byteLength(field);
  }
  if (Array.isArray(entry.Resources)) {
    for (const resource of entry.Resources) if (typeof resource === 'string') size += Buffer.byteLength(resource);
  }
  return size;
}

/** Validates one entry and makes its event, or says which EventBridge error it gets. */
export function toEvent(entry: PutEventsEntry, bus: BusDescription, now = new Date()): EntryOutcome {
  for (const field of ['Source', 'DetailType', 'Detail'] as const) {
    if (typeof entry[field] !== 'string' || (entry[field] as string).length === 0) {
      return invalid('InvalidArgument', `Parameter ${field} is not valid. Reason: ${field} is a required argument.`);
    }
  }
  const source = entry.Source as string;
  if (source.startsWith('aws.')) {
    return invalid('NotAuthorizedForSourceException', `Not authorized for the source ${source}.`);
  }
  let detail: unknown;
  try {
    detail = JSON.parse(entry.Detail as string);
  } catch {
    return invalid('MalformedDetail', 'Detail is malformed.');
  }
  if (!isJsonObject(detail)) return invalid('MalformedDetail', 'Detail is malformed.');
  if (nestingDepth(entry.Detail as string) > MAX_DETAIL_DEPTH) {
    return invalid('MalformedDetail', `Detail is malformed: EventBridge processes JSON nested at most ${MAX_DETAIL_DEPTH} levels deep.`);
  }

  const busName = resolveBusName(entry.EventBusName, bus);
  if (busName === undefined) {
    return invalid('ResourceNotFoundException', `Event bus ${String(entry.EventBusName)} does not exist. The local bus is ${bus.name}.`);
  }
  if (entry.Resources !== undefined && (!Array.isArray(entry.Resources) || entry.Resources.some((r) => typeof r !== 'string'))) {
    return invalid('InvalidArgument', 'Parameter Resources is not valid. Reason: Resources must be a list of ARNs.');
  }
  const time = eventTime(entry.Time, now);
  if (time === undefined) return invalid('InvalidArgument', 'Parameter Time is not valid. Reason: Time must be a timestamp.');

  return {
    ok: true,
    busName,
    event: {
      version: '0',
      id: randomUUID(),
      'detail-type': entry.DetailType as string,
      source,
      account: bus.account,
      time,
      region: bus.region,
      resources: (entry.Resources as string[] | undefined) ?? [],
      detail,
    },
  };
}

/** The bus an entry goes to: this one by name or ARN, `default` when unnamed, undefined if unknown. */
function resolveBusName(name: unknown, bus: BusDescription): string | undefined {
  if (name === undefined || name === null || name === '' || name === 'default' || name === busArn(bus, 'default')) return 'default';
  if (name === bus.name || name === busArn(bus)) return bus.name;
  return undefined;
}

/** EventBridge's event time: seconds precision, `2026-01-31T12:00:00Z`. The SDK sends Time as epoch seconds. */
function eventTime(time: unknown, now: Date): string | undefined {
  let date = now;
  if (typeof time === 'number') date = new Date(time * 1000);
  else if (typeof time === 'string') date = new Date(time);
  else if (time !== undefined && time !== null) return undefined;
  if (Number.isNaN(date.getTime())) return undefined;
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** How deep a valid JSON text nests objects and arrays, read from its brackets outside strings. */
function nestingDepth(json: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
    } else if (c === '{' || c === '[') {
      deepest = Math.max(deepest, ++depth);
    } else if (c === '}' || c === ']') {
      depth--;
    }
  }
  return deepest;
}

function invalid(errorCode: string, errorMessage: string): EntryOutcome {
  return { ok: false, errorCode, errorMessage };
}
