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
  /** Queue messages per deliver invocation (the construct's delivery.batchSize). */
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
  /** Whether the tutorial design's $7.89 a day counts this kind of cost. */
  readonly inTutorialScope: boolean;
}

/** Lambda bills duration rounded up to the millisecond, per invocation. */
function gbSeconds(invocations: number, msEach: number, memoryMb: number): number {
  return invocations * (Math.ceil(msEach) / 1000) * (memoryMb / 1024);
}

type AddLine = (item: string, quantity: number, unit: string, usd: number, inTutorialScope: boolean) => void;

function collector(): { lines: CostLine[]; add: AddLine } {
  const lines: CostLine[] = [];
  return { lines, add: (item, quantity, unit, usd, inTutorialScope) => lines.push({ item, quantity, unit, usd, inTutorialScope }) };
}

const perMillion = (n: number, price: number) => (n / 1e6) * price;

/** Lambda requests and compute of `invocations` taking `msEach`, as one line. */
function lambdaUsd(invocations: number, msEach: number, memoryMb: number): number {
  return perMillion(invocations, PRICES.lambdaRequest.usd) + gbSeconds(invocations, msEach, memoryMb) * PRICES.lambdaGbSecondArm.usd;
}

export function dailyCost(m: MeasuredUnits, w: Workload): CostLine[] {
  const { lines, add } = collector();

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

  connectionLines(m, w, add, [{ perConnect: w.subscriptionsPerConnection, ms: m.messageMs, writeUnits: m.subscribeWriteUnits, readUnits: m.subscribeReadUnits }],
    { ms: m.disconnectMs, writeUnits: m.disconnectWriteUnits, readUnits: m.disconnectReadUnits });
  return lines;
}

/** One kind of action each connection repeats after every (re)connect: its time and units. */
export interface ActionUnits {
  readonly ms: number;
  readonly writeUnits: number;
  readonly readUnits: number;
}

interface SubscriptionKind extends ActionUnits {
  readonly perConnect: number;
}

/** Keeping the connections open for a day: connection minutes, reconnects, subscribes, keep-alive. */
function connectionLines(m: MeasuredUnits, w: Workload, add: AddLine, subscriptions: readonly SubscriptionKind[], disconnect: ActionUnits): void {
  const minutes = w.connections * 24 * 60;
  add('API Gateway: connection minutes', minutes, 'minutes', perMillion(minutes, PRICES.apiGatewayConnectionMinute.usd), true);
  const connects = w.connections * (24 / w.reconnectEveryHours);
  const subscribes = subscriptions.reduce((n, k) => n + connects * k.perConnect, 0);
  const routeInvocations = connects * 3 + subscribes; // authorizer, connect, disconnect; message per subscribe
  const routeGbS = gbSeconds(connects, m.authorizerMs, w.memoryMb) + gbSeconds(connects, m.connectMs, w.memoryMb)
    + gbSeconds(connects, disconnect.ms, w.memoryMb) + subscriptions.reduce((n, k) => n + gbSeconds(connects * k.perConnect, k.ms, w.memoryMb), 0);
  add('Lambda routes: requests (reconnects, subscribes)', routeInvocations, 'invocations', perMillion(routeInvocations, PRICES.lambdaRequest.usd), true);
  add('Lambda routes: compute', routeGbS, 'GB-s', routeGbS * PRICES.lambdaGbSecondArm.usd, true);
  const writes = connects * (m.connectWriteUnits + disconnect.writeUnits) + subscriptions.reduce((n, k) => n + connects * k.perConnect * k.writeUnits, 0);
  const reads = connects * disconnect.readUnits + subscriptions.reduce((n, k) => n + connects * k.perConnect * k.readUnits, 0);
  add('DynamoDB: connection and subscription writes', writes, 'WRU', perMillion(writes, PRICES.dynamoWrite.usd), true);
  add('DynamoDB: connection reads', reads, 'RRU', perMillion(reads, PRICES.dynamoRead.usd), true);
  // A subscribe is a message in and its answer a message out.
  add('API Gateway: subscribe frames and answers', subscribes * 2, 'messages', perMillion(subscribes * 2, PRICES.apiGatewayMessage.usd), false);

  if (w.pingsPerConnectionPerDay > 0) {
    const pings = w.connections * w.pingsPerConnectionPerDay;
    add('Keep-alive: ping and pong frames', pings * 2, 'messages', perMillion(pings * 2, PRICES.apiGatewayMessage.usd), false);
    add('Keep-alive: Lambda message route', pings, 'invocations', lambdaUsd(pings, m.messageMs, w.memoryMb), false);
  }
}

/** What the capacity benchmark measured for client messages and presence in a room. */
export interface ChatUnits {
  /** Message function per client message (rate counter, PutEvents, audience Query, posts), warm. */
  readonly publish: ActionUnits;
  /** A `presence` query of the room. */
  readonly presence: ActionUnits;
  /** Subscribing to the room (presence counter, join announcement). */
  readonly joinRoom: ActionUnits;
  /** Disconnecting from the room (presence counter, leave announcement). */
  readonly disconnect: ActionUnits;
}

/** A day of chat: the connection workload, plus client messages in rooms with presence. */
export interface ChatWorkload extends Workload {
  readonly messagesPerDay: number;
  /** Members of every room; a message reaches the other roomSize − 1. */
  readonly roomSize: number;
  /** Rooms each connection joins after every (re)connect (presence on); Workload.subscriptionsPerConnection are the others. */
  readonly roomsPerConnection: number;
  /** `presence` queries after each join (to show who is there). */
  readonly presenceQueriesPerJoin: number;
}

export function chatDailyCost(m: MeasuredUnits, c: ChatUnits, w: ChatWorkload): CostLine[] {
  const { lines, add } = collector();
  messageLines(c, w, add);
  const others = w.roomSize - 1;

  // Presence: every (re)connect leaves and joins the rooms again, announced to the other members.
  const connects = w.connections * (24 / w.reconnectEveryHours);
  const joins = connects * w.roomsPerConnection;
  add('Presence: join and leave announcements', joins * 2 * others, 'messages', perMillion(joins * 2 * others, PRICES.apiGatewayMessage.usd), false);
  const queries = joins * w.presenceQueriesPerJoin;
  add('Presence: query frames and answers', queries * 2, 'messages', perMillion(queries * 2, PRICES.apiGatewayMessage.usd), false);
  add('Presence: Lambda message function', queries, 'invocations', lambdaUsd(queries, c.presence.ms, w.memoryMb), false);
  add('Presence: DynamoDB reads', queries * c.presence.readUnits, 'RRU', perMillion(queries * c.presence.readUnits, PRICES.dynamoRead.usd), false);

  connectionLines(m, w, add, [
    { perConnect: w.roomsPerConnection, ...c.joinRoom },
    { perConnect: w.subscriptionsPerConnection, ms: m.messageMs, writeUnits: m.subscribeWriteUnits, readUnits: m.subscribeReadUnits },
  ], c.disconnect);
  return lines;
}

/** The client messages alone: what each message costs from the sender's frame to the last member's post. */
export function clientMessageCost(c: ChatUnits, w: Pick<ChatWorkload, 'messagesPerDay' | 'roomSize' | 'memoryMb'>): CostLine[] {
  const { lines, add } = collector();
  messageLines(c, w, add);
  return lines;
}

function messageLines(c: ChatUnits, w: Pick<ChatWorkload, 'messagesPerDay' | 'roomSize' | 'memoryMb'>, add: AddLine): void {
  const n = w.messagesPerDay;
  const others = w.roomSize - 1;
  add('API Gateway: client messages in', n, 'messages', perMillion(n, PRICES.apiGatewayMessage.usd), true);
  add(`API Gateway: posts to the other ${others} room members`, n * others, 'messages', perMillion(n * others, PRICES.apiGatewayMessage.usd), true);
  add('API Gateway: `published` answers', n, 'messages', perMillion(n, PRICES.apiGatewayMessage.usd), false);
  add('Lambda message function: publish requests', n, 'invocations', perMillion(n, PRICES.lambdaRequest.usd), true);
  const publishGbS = gbSeconds(n, c.publish.ms, w.memoryMb);
  add('Lambda message function: publish compute', publishGbS, 'GB-s', publishGbS * PRICES.lambdaGbSecondArm.usd, true);
  add('DynamoDB: per-user rate counter', n * c.publish.writeUnits, 'WRU', perMillion(n * c.publish.writeUnits, PRICES.dynamoWrite.usd), true);
  add('DynamoDB: audience Queries', n * c.publish.readUnits, 'RRU', perMillion(n * c.publish.readUnits, PRICES.dynamoRead.usd), true);
  add('EventBridge: PutEvents (ClientMessage, for backends)', n, 'events', perMillion(n, PRICES.eventBridgeEvent.usd), false);
}

export function total(lines: readonly CostLine[], filter: (l: CostLine) => boolean = () => true): number {
  return lines.filter(filter).reduce((sum, l) => sum + l.usd, 0);
}

/** What one push job costs deliver: its Lambda time (the encryption and VAPID signing measured, the push service's answer assumed). */
export interface PushUnits {
  /** Lambda milliseconds per push job of one device. */
  readonly msPerPush: number;
}

/**
 * A million Web Push jobs of one device each (users with no connection open): the job on the
 * delivery queue, deliver's time, the device read and the device's `usedAt` update. Web Push
 * itself is free: the push services (FCM, Mozilla, Apple, Windows) do not bill the sender.
 */
export function pushCost(p: PushUnits, w: Pick<Workload, 'batchSize' | 'memoryMb'>, pushes = 1e6): CostLine[] {
  const { lines, add } = collector();
  const invocations = Math.ceil(pushes / w.batchSize);
  const sqsRequests = pushes + 2 * invocations;
  add('SQS: push job send, receive, delete', sqsRequests, 'requests', perMillion(sqsRequests, PRICES.sqsRequest.usd), false);
  add('Lambda deliver: push jobs (requests and compute)', invocations, 'invocations', lambdaUsd(invocations, p.msPerPush * w.batchSize, w.memoryMb), false);
  add('DynamoDB: the user\'s devices (one consistent GetItem)', pushes, 'RRU', perMillion(pushes, PRICES.dynamoRead.usd), false);
  add('DynamoDB: the device kept another TTL (one UpdateItem)', pushes, 'WRU', perMillion(pushes, PRICES.dynamoWrite.usd), false);
  return lines;
}
