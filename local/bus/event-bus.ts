/**
 * The local event bus: EventBridge's PutEvents over its JSON 1.1 protocol (`POST /` with
 * `X-Amz-Target: AWSEvents.PutEvents`), so `new EventBridgeClient({ endpoint })` works unchanged,
 * and rules that hand matching events to their targets.
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import { BodyTooLargeError, readBody, sendJson } from '../http';
import { assertSupportedPattern, EventPattern, matchesPattern } from './pattern';
import { BusDescription, BusEvent, MAX_REQUEST_BYTES, PutEventsRequestError, toEvent, validateRequest } from './put-events';

export interface BusRule {
  readonly name: string;
  readonly pattern: EventPattern;
  /** Receives each matching event, as a rule target does (the full event JSON). */
  readonly target: (event: BusEvent) => void;
  /** Receives the events the target could not take, as a rule target's dead-letter queue does. */
  readonly deadLetter?: (event: BusEvent, error: Error) => void;
}

export interface PutEventsResult {
  readonly FailedEntryCount: number;
  readonly Entries: Array<{ EventId: string } | { ErrorCode: string; ErrorMessage: string }>;
}

const JSON_11 = 'application/x-amz-json-1.1';

export class LocalEventBus {
  private readonly rules: BusRule[] = [];
  /** Events accepted, matched or not, for tests and the demo. */
  private accepted = 0;
  /** Detail types already reported as reaching no rule: said once each, not for every event. */
  private readonly unmatched = new Set<string>();

  constructor(private readonly bus: BusDescription, private readonly log?: (line: string) => void) {}

  get name(): string {
    return this.bus.name;
  }

  get acceptedCount(): number {
    return this.accepted;
  }

  /**
   * An event no rule takes is accepted and dropped, as EventBridge does: normal for the client
   * messages the construct puts on the bus for backends' own rules, which the local runtime has
   * none of. Said once per detail type, as information.
   */
  private reportUnmatched(event: BusEvent): void {
    const detailType = event['detail-type'];
    if (this.unmatched.has(detailType)) return;
    this.unmatched.add(detailType);
    this.log?.(`note: events of detail-type "${detailType}" (the first: ${event.id}) reach no rule here, and are dropped as EventBridge drops them. `
      + 'For client messages that is expected: on AWS, your backends\' rules on the bus receive them. Not said again for this detail-type.');
  }

  addRule(rule: BusRule): void {
    assertSupportedPattern(rule.pattern);
    this.rules.push(rule);
  }

  /** PutEvents without HTTP. Throws PutEventsRequestError for requests EventBridge refuses whole. */
  putEvents(request: unknown): PutEventsResult {
    const entries = validateRequest(request);
    const result: PutEventsResult = { FailedEntryCount: 0, Entries: [] };
    for (const entry of entries) {
      const outcome = toEvent(entry, this.bus);
      if (!outcome.ok) {
        result.Entries.push({ ErrorCode: outcome.errorCode, ErrorMessage: outcome.errorMessage });
        (result as { FailedEntryCount: number }).FailedEntryCount++;
        continue;
      }
      this.accepted++;
      result.Entries.push({ EventId: outcome.event.id });
      if (outcome.busName !== this.bus.name) {
        this.log?.(`event ${outcome.event.id} went to the default bus, which has no rules here: set EventBusName to ${this.bus.name}`);
        continue;
      }
      const matching = this.rules.filter((rule) => matchesPattern(rule.pattern, outcome.event));
      if (matching.length === 0) this.reportUnmatched(outcome.event);
      for (const rule of matching) this.deliver(rule, outcome.event);
    }
    return result;
  }

  /**
   * Hands the event to the rule's target. The entry was accepted whatever happens here: as in
   * EventBridge, a target that fails does not fail the PutEvents call (which the client would
   * retry, sending the other entries again under new ids); the event goes to its dead-letter queue.
   */
  private deliver(rule: BusRule, event: BusEvent): void {
    try {
      rule.target(event);
    } catch (error) {
      this.log?.(`rule ${rule.name} could not deliver event ${event.id} to its target: ${(error as Error).message}`
        + (rule.deadLetter ? '; it goes to the dead-letter queue' : '; it is dropped (the rule has no dead-letter queue)'));
      rule.deadLetter?.(event, error as Error);
    }
  }

  /** Answers `POST /` with an `AWSEvents.*` target; returns false for any other request. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const target = String(req.headers['x-amz-target'] ?? '');
    if (req.method !== 'POST' || !target.startsWith('AWSEvents.')) return false;
    readBody(req, MAX_REQUEST_BYTES * 2).then(
      (text) => {
        if (target !== 'AWSEvents.PutEvents') {
          return sendJson(res, 400, { __type: 'UnknownOperationException', message: `The local bus implements PutEvents only, not ${target.slice('AWSEvents.'.length)}.` }, JSON_11);
        }
        let request: unknown;
        try {
          request = JSON.parse(text);
        } catch {
          return sendJson(res, 400, { __type: 'SerializationException', message: 'The request body is not valid JSON.' }, JSON_11);
        }
        try {
          sendJson(res, 200, this.putEvents(request), JSON_11);
        } catch (error) {
          if (error instanceof PutEventsRequestError) return sendJson(res, 400, { __type: error.type, message: error.message }, JSON_11);
          throw error;
        }
      },
      (error: Error) => {
        const status = error instanceof BodyTooLargeError ? 413 : 400;
        sendJson(res, status, { __type: 'ValidationException', message: error.message }, JSON_11);
      },
    ).catch((error: Error) => sendJson(res, 500, { __type: 'InternalException', message: error.message }, JSON_11));
    return true;
  }
}
