/**
 * The cost model: US dollars for a day of a given workload, from measured units and list prices.
 * Pure: every unit comes in as a number, every assumption is a named field.
 */
import { PRICES } from './prices';

/** What the benchmarks measured, per unit of work. */
export interface MeasuredUnits {
  /** Deliver Lambda time per notification (warm, billed per ms), for the workload's audience size. */
  readonly deliverMsPerNotification: number;
  /** Read request units per notification (the audience Query pages). */
  readonly readUnitsPerNotification: number;
  /** Warm handler times, ms per invocation. */
  readonly authorizerMs: number;
  readonly connectMs: number;
  readonly disconnectMs: number;
  readonly messageMs: number;
  /** Write and read request units per action. */
  readonly connectWriteUnits: number;
  readonly subscribeWriteUnits: number;
  readonly subscribeReadUnits: number;
  readonly disconnectWriteUnits: number;
  readonly disconnectReadUnits: number;
}

/** The workload and the deployment settings it runs with. */
export interface Workload {
  readonly connections: number;
  readonly notificationsPerDay: number;
  /** Connections each notification is delivered to. */
  readonly audience: number;
  /** Queue messages per deliver invocation (the construct's batchSize). */
  readonly batchSize: number;
  readonly memoryMb: number;
  /** API Gateway closes every connection after 2 hours: clients reconnect this often. */
  readonly reconnectEveryHours: number;
  readonly subscriptionsPerConnection: number;
  /** Client pings to stay under the 10-minute idle timeout; 0 for none. */
  readonly pingsPerConnectionPerDay: number;
}

export interface CostLine {
  readonly item: string;
  readonly quantity: number;
  readonly unit: string;
  readonly usd: number;
  /** Whether the seed article's $7.89 a day counts this kind of cost. */
  readonly inSeedScope: boolean;
}

/** Lambda bills duration rounded up to the millisecond, per invocation. */
function gbSeconds(invocations: number, msEach: number, memoryMb: number): number {
  return invocations * (Math.ceil(msEach) / 1000) * (memoryMb / 1024);
}

export function dailyCost(m: MeasuredUnits, w: Workload): CostLine[] {
  const lines: CostLine[] = [];
  const add = (item: string, quantity: number, unit: string, usd: number, inSeedScope: boolean) =>
    lines.push({ item, quantity, unit, usd, inSeedScope });
  const perMillion = (n: number, price: number) => (n / 1e6) * price;

  // Publishing and delivery.
  const n = w.notificationsPerDay;
  const deliverInvocations = Math.ceil(n / w.batchSize);
  const deliverGbS = gbSeconds(deliverInvocations, m.deliverMsPerNotification * w.batchSize, w.memoryMb);
  add('EventBridge: PutEvents', n, 'events', perMillion(n, PRICES.eventBridgeEvent.usd), false);
  // The rule's SendMessage, then per batch one ReceiveMessage and one DeleteMessageBatch.
  const sqsRequests = n + 2 * deliverInvocations;
  add('SQS: send, receive, delete', sqsRequests, 'requests', perMillion(sqsRequests, PRICES.sqsRequest.usd), false);
  add('Lambda deliver: requests', deliverInvocations, 'invocations', perMillion(deliverInvocations, PRICES.lambdaRequest.usd), true);
  add('Lambda deliver: compute', deliverGbS, 'GB-s', deliverGbS * PRICES.lambdaGbSecondArm.usd, true);
  const readUnits = n * m.readUnitsPerNotification;
  add('DynamoDB: audience Queries', readUnits, 'RRU', perMillion(readUnits, PRICES.dynamoRead.usd), true);
  const pushed = n * w.audience;
  add('API Gateway: notifications pushed', pushed, 'messages', perMillion(pushed, PRICES.apiGatewayMessage.usd), true);

  // Keeping 10,000 connections open for a day.
  const minutes = w.connections * 24 * 60;
  add('API Gateway: connection minutes', minutes, 'minutes', perMillion(minutes, PRICES.apiGatewayConnectionMinute.usd), true);
  const connects = w.connections * (24 / w.reconnectEveryHours);
  const subscribes = connects * w.subscriptionsPerConnection;
  const routeInvocations = connects * 3 + subscribes; // authorizer, connect, disconnect; message per subscribe
  const routeGbS = gbSeconds(connects, m.authorizerMs, w.memoryMb) + gbSeconds(connects, m.connectMs, w.memoryMb)
    + gbSeconds(connects, m.disconnectMs, w.memoryMb) + gbSeconds(subscribes, m.messageMs, w.memoryMb);
  add('Lambda routes: requests (reconnects, subscribes)', routeInvocations, 'invocations', perMillion(routeInvocations, PRICES.lambdaRequest.usd), true);
  add('Lambda routes: compute', routeGbS, 'GB-s', routeGbS * PRICES.lambdaGbSecondArm.usd, true);
  const writes = connects * (m.connectWriteUnits + m.disconnectWriteUnits) + subscribes * m.subscribeWriteUnits;
  const reads = connects * m.disconnectReadUnits + subscribes * m.subscribeReadUnits;
  add('DynamoDB: connection and subscription writes', writes, 'WRU', perMillion(writes, PRICES.dynamoWrite.usd), true);
  add('DynamoDB: connection reads', reads, 'RRU', perMillion(reads, PRICES.dynamoRead.usd), true);
  // A subscribe is a message in and its answer a message out.
  add('API Gateway: subscribe frames and answers', subscribes * 2, 'messages', perMillion(subscribes * 2, PRICES.apiGatewayMessage.usd), false);

  if (w.pingsPerConnectionPerDay > 0) {
    const pings = w.connections * w.pingsPerConnectionPerDay;
    add('Keep-alive: ping and pong frames', pings * 2, 'messages', perMillion(pings * 2, PRICES.apiGatewayMessage.usd), false);
    add('Keep-alive: Lambda message route', pings, 'invocations', perMillion(pings, PRICES.lambdaRequest.usd)
      + gbSeconds(pings, m.messageMs, w.memoryMb) * PRICES.lambdaGbSecondArm.usd, false);
  }
  return lines;
}

export function total(lines: readonly CostLine[], filter: (l: CostLine) => boolean = () => true): number {
  return lines.filter(filter).reduce((sum, l) => sum + l.usd, 0);
}
