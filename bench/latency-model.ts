/**
 * Section 7: where a client message's time goes on AWS, hop by hop, beside the server
 * notification path. Nothing local can stand in for AWS's network and services, so this is a
 * model, not a measurement: typical figures from AWS documentation where AWS publishes one,
 * estimates otherwise (each saying so, and from what), with the local runtime's figures of this
 * run for the code paths themselves.
 */
import type { ChatFigures } from './chat-latency';
import { SectionResult } from './lib/report';
import { ratio } from './lib/stats';

export interface Hop {
  readonly hop: string;
  /** On the client message path (client → … → room members). */
  readonly client: boolean;
  /** On the server notification path (backend PutEvents → … → room members). */
  readonly server: boolean;
  /** Part of the gateway floor: a direct post from the Region to a client. */
  readonly floor?: boolean;
  /** Typical range, warm, in milliseconds. */
  readonly lowMs: number;
  readonly highMs: number;
  readonly source: string;
}

const AWS_DYNAMODB_LATENCY = 'AWS: "single-digit milliseconds" average for atomic operations such as GetItem and PutItem '
  + '(AWS Knowledge Center, repost.aws/knowledge-center/dynamodb-high-latency); CloudWatch: SuccessfulRequestLatency';
const NETWORK_ESTIMATE = 'estimate: one-way network time of a client on the same continent as the Region; AWS documents none (it is the client\'s network)';

/** The hops in order. Ranges are typical warm figures; the sources say which are AWS's and which are estimates. */
export const HOPS: readonly Hop[] = [
  { hop: 'Client → API Gateway: the WebSocket frame', client: true, server: false, lowMs: 10, highMs: 50, source: NETWORK_ESTIMATE },
  {
    hop: 'API Gateway → message function (Lambda integration, warm)', client: true, server: false, lowMs: 5, highMs: 20,
    source: 'estimate: AWS publishes no figure; API Gateway reports IntegrationLatency (the integration overhead plus the function\'s Duration)',
  },
  { hop: 'DynamoDB UpdateItem: the per-user rate counter', client: true, server: false, lowMs: 2, highMs: 10, source: AWS_DYNAMODB_LATENCY },
  {
    hop: 'EventBridge PutEvents (client path: the ClientMessage event, awaited before the posts; server path: the backend\'s publish)', client: true, server: true, lowMs: 10, highMs: 40,
    source: 'estimate: AWS publishes no typical figure; EventBridge reports PutEventsLatency',
  },
  {
    hop: 'EventBridge rule → SQS delivery queue', client: false, server: true, lowMs: 50, highMs: 500,
    source: 'estimate: AWS describes delivery as near real time without a figure; EventBridge reports IngestionToInvocationSuccessLatency per rule',
  },
  {
    hop: 'SQS → deliver function (event source mapping: long polling, no batching window, the construct\'s default)', client: false, server: true, lowMs: 10, highMs: 100,
    source: 'estimate: AWS documents the mechanism (pollers long-poll the queue; MaximumBatchingWindowInSeconds defaults to 0, so a batch is invoked as soon as it is received) '
      + 'but no latency; SQS reports ApproximateAgeOfOldestMessage. A delivery.maxBatchingWindow adds up to its length',
  },
  { hop: 'DynamoDB Query: the room\'s subscription keys (one page)', client: true, server: true, lowMs: 2, highMs: 10, source: AWS_DYNAMODB_LATENCY },
  {
    hop: '@connections posts to the room (one wave at the default delivery concurrency of 50)', client: true, server: true, floor: true, lowMs: 5, highMs: 30,
    source: 'estimate: AWS publishes no figure; each post is a regional HTTPS call from the function, all of a room ≤ 50 at once, plus ~0.13 ms of CPU per post (section 1)',
  },
  { hop: 'API Gateway → member: the frame out', client: true, server: true, floor: true, lowMs: 10, highMs: 50, source: NETWORK_ESTIMATE },
];

/**
 * A user-targeted notification in deliver, with the inbox (each user's own stream kept: the
 * default) and without: its DynamoDB calls, in the order they wait on each other. Calls on one
 * row run at once; only the rows before the first post delay the notification.
 */
export const USER_NOTIFICATION_CALLS: ReadonlyArray<{ readonly step: string; readonly off: string; readonly on: string; readonly beforeFirstPost: boolean }> = [
  { step: '1', off: 'Query: the user\'s connections (byUser index)', on: 'UpdateItem: the stream head\'s increment (the position) ∥ Query: the user\'s connections (byUser index)', beforeFirstPost: true },
  { step: '2', off: 'BatchGetItem: the connections\' token expiry (with `connections.tokenExpiry` `close`, the default)', on: 'BatchGetItem: the connections\' token expiry ∥ PutItem: the position claim ∥ PutItem: the frame kept', beforeFirstPost: true },
  { step: '3', off: '@connections posts', on: '@connections posts', beforeFirstPost: false },
  { step: '4', off: '—', on: 'the `unread` posts: the count comes from the head as step 1 returned it (a GetItem only on a redelivery; a Query for the expiry floor only once the stream is older than its retention)', beforeFirstPost: false },
];

export function pathTotal(hops: readonly Hop[], path: 'client' | 'server' | 'floor'): { lowMs: number; highMs: number } {
  const on = hops.filter((h) => h[path]);
  return { lowMs: on.reduce((n, h) => n + h.lowMs, 0), highMs: on.reduce((n, h) => n + h.highMs, 0) };
}

interface LatencyData {
  readonly chat?: ChatFigures;
}

export function latencyModelSection(measured: LatencyData | undefined): SectionResult {
  const client = pathTotal(HOPS, 'client');
  const server = pathTotal(HOPS, 'server');
  const floor = pathTotal(HOPS, 'floor');
  const range = (t: { lowMs: number; highMs: number }) => `${t.lowMs}–${t.highMs}`;
  const chat = measured?.chat;
  const mark = (on: boolean) => (on ? '✓' : '');
  return {
    id: 'latency-model',
    title: '7. Client messages: latency model on AWS',
    method: 'Where a client message\'s time goes once deployed, hop by hop, beside the server notification path to the same room. '
      + 'This is a model, not a measurement: typical warm figures from AWS documentation where AWS publishes one, and estimates where it does not '
      + '(each row says which, and names the CloudWatch metric that measures the hop in your account). A client message takes the message function\'s '
      + 'own path: it counts the sender\'s rate, puts the ClientMessage event on the bus for backends, then reads the room and posts to it with the deliver '
      + 'function\'s engine, without waiting on EventBridge rule delivery or SQS polling. A server notification goes PutEvents → rule → queue → deliver.',
    tables: [
      {
        caption: 'Hops (ms, typical, warm):',
        headers: ['Hop', 'Client message', 'Server notification', 'Typical (ms)', 'Source'],
        rows: HOPS.map((h) => [h.hop, mark(h.client), mark(h.server), `${h.lowMs}–${h.highMs}`, h.source]),
      },
      {
        caption: 'A user-targeted notification in deliver: DynamoDB calls with and without the inbox (∥: at once). The inbox adds no sequential round trip before the first post: its writes overlap the audience read (a user\'s connections come from an index that is never consistent, so they are read while the position is taken); the `unread` posts come after:',
        headers: ['Step', 'Inbox off (`history.userStreams: false`)', 'Inbox on (the default)', 'Before the first post'],
        rows: USER_NOTIFICATION_CALLS.map((c) => [c.step, c.off, c.on, c.beforeFirstPost ? 'yes' : 'no']),
      },
      {
        caption: 'The two paths end to end:',
        headers: ['Path', 'Model on AWS, typical (ms)', 'Local runtime, this run: p50 / p99 (ms)'],
        rows: [
          ['Client message: client → API Gateway → message function → rate counter → PutEvents → audience Query → @connections → members',
            range(client), chat ? `${chat.chat.p50} / ${chat.chat.p99}` : 'not measured in this run'],
          ['Server notification: backend PutEvents → rule → SQS → deliver → audience Query → @connections → members',
            range(server), chat ? `${chat.room.p50} / ${chat.room.p99}` : 'not measured in this run'],
        ],
      },
    ],
    notes: [
      `On AWS the gateway floor of section 6 (a post from the Region → the client) is the post and the frame out, ${range(floor)} ms; the client message model is `
        + `${ratio(client.lowMs, floor.lowMs)}–${ratio(client.highMs, floor.highMs)}× that, and the server notification ${ratio(server.lowMs, floor.lowMs)}–${ratio(server.highMs, floor.highMs)}×.`,
      'The local runtime has no network and no service latency: its figures (section 6) are the code paths\' share, and the model adds what AWS adds.',
      'The gap between the paths is EventBridge\'s target delivery and the queue\'s polling, which only the server path takes; its high end is the tail, which is why a chat message does not go through the bus and the queue.',
      'The message function waits for PutEvents before it posts (a backend sees every message that members see), so PutEvents latency is on the client path.',
      'Cold starts are not in the ranges: AWS says they occur in under 1% of invocations and take from under 100 ms to over 1 second '
        + '(AWS Compute Blog, "Operating Lambda: Performance optimization – Part 1"); this library\'s bundles initialise in the times of section 3.',
      'Rooms larger than the delivery concurrency (50 by default) are posted to in waves: add one post\'s latency per further wave; above the shard threshold (1,000) the message function posts to the first 1,000 itself and hands the rest to deliver through the queue, which puts them on the server path\'s timing.',
    ],
    targets: [],
    data: { hops: HOPS, clientMs: client, serverMs: server, gatewayFloorMs: floor },
  };
}
