/**
 * Client messages in a chat room, through the local runtime (the figures of benchmark 6 on
 * client publishing): the room's members publish to its topic in turn, and every other member
 * receives each message: client → gateway → message function (rate counter, PutEvents of the
 * ClientMessage event, audience Query, @connections posts) → gateway → clients. Baselines from
 * the same runtime in the same run: server notifications to the same room (PutEvents → rule →
 * queue → deliver → posts), direct @connections posts to as many connections at once (the
 * gateway's floor for a room), and the single direct post (benchmark 6's gateway floor).
 */
import { ClientsProcess, LatencyResult, summarise, Summary } from './lib/clients-process';
import { Headline, Table, TargetCheck } from './lib/report';
import { CHAT_TOPIC } from './lib/settings';
import { ratio } from './lib/stats';

export interface ChatOptions {
  /** Members of the room, each a different user with one connection. */
  readonly members: number;
  /** Client messages per second, all members together. */
  readonly rate: number;
  /** Messages measured (after one unmeasured second). */
  readonly messages: number;
}

/** Client-message p99 may be at most this many times the gateway floor's p99. */
export const CHAT_P99_TARGET_FACTOR = 3;

export interface ChatFigures {
  readonly options: ChatOptions;
  /** Each frame a member received. */
  readonly chat: Summary;
  /** The last member of each message. */
  readonly chatLastMember: Summary;
  /** The sender's `published` answer (sent once every member is posted to). */
  readonly chatAnswer: Summary;
  readonly refusals: readonly string[];
  readonly unanswered: number;
  readonly room: Summary;
  readonly roomLastMember: Summary;
  readonly roomFloor: Summary;
  readonly roomFloorLast: Summary;
}

/**
 * Runs the room phases with the clients already connected; `ids` are connections to post to
 * directly. The three paths take turns, a slice of the messages each turn, so that whatever
 * else the machine does weighs on all three alike.
 */
export async function measureChat(clients: ClientsProcess, ids: readonly string[], o: ChatOptions): Promise<ChatFigures> {
  await clients.call({ type: 'join', topic: CHAT_TOPIC, members: o.members }, 'joined');
  const room = { topic: CHAT_TOPIC, members: o.members, rate: o.rate, seconds: 1 };
  const phases = [
    { type: 'chat', ...room },
    { type: 'room', ...room },
    { type: 'floor', ids, rate: o.rate, seconds: 1, fanout: o.members - 1 },
  ];
  // One unmeasured second of each first: cold starts and first sockets are not the steady state.
  for (const phase of phases) await clients.call<LatencyResult>(phase, 'latency');
  const turns = Math.max(1, Math.round(o.messages / (o.rate * CHAT_TURN_SECONDS)));
  const seconds = o.messages / o.rate / turns;
  const results: LatencyResult[][] = [[], [], []];
  for (let t = 0; t < turns; t++) {
    for (const [i, phase] of phases.entries()) results[i].push(await clients.call<LatencyResult>({ ...phase, seconds }, 'latency'));
  }
  const [chat, server, floor] = results.map(merge);
  const last = (r: LatencyResult) => summarise(r, r.lastFrameMs);
  return {
    options: o,
    chat: summarise(chat),
    chatLastMember: last(chat),
    chatAnswer: summarise(chat, chat.answerMs),
    refusals: chat.refusals,
    unanswered: chat.unanswered,
    room: summarise(server),
    roomLastMember: last(server),
    roomFloor: summarise(floor),
    roomFloorLast: last(floor),
  };
}

/** How long each path runs in one turn. */
const CHAT_TURN_SECONDS = 5;

function merge(parts: readonly LatencyResult[]): LatencyResult {
  const sum = (f: (r: LatencyResult) => number) => parts.reduce((n, r) => n + f(r), 0);
  const all = <T>(f: (r: LatencyResult) => T[]) => parts.flatMap(f);
  return {
    sent: sum((r) => r.sent),
    received: sum((r) => r.received),
    errors: sum((r) => r.errors),
    unanswered: sum((r) => r.unanswered),
    samples: all((r) => r.samples),
    lastFrameMs: all((r) => r.lastFrameMs),
    answerMs: all((r) => r.answerMs),
    refusals: all((r) => r.refusals),
  };
}

/** The room table, the p99 target and the headline, against the single-post gateway floor of the same run. */
export function chatReport(c: ChatFigures, floor: Summary): { table: Table; target: TargetCheck; headline: Headline; notes: string[] } {
  const { members, rate } = c.options;
  const others = members - 1;
  const row = (path: string, s: Summary, counts = true) => [
    path, counts ? s.sent : '', counts ? s.received : '', s.p50, s.p95, s.p99, s.max,
    ratio(s.p50, floor.p50), ratio(s.p99, floor.p99), ratio(s.p99, c.roomFloor.p99),
  ];
  const limit = CHAT_P99_TARGET_FACTOR * floor.p99;
  const chatRatio = ratio(c.chat.p99, floor.p99);
  return {
    table: {
      caption: `Client messages in a ${members}-member room, ${rate} messages/s (ms; every frame counted, then the last member of each message):`,
      headers: ['Path', 'Frames expected', 'Received', 'p50', 'p95', 'p99', 'max', 'p50 ÷ floor', 'p99 ÷ floor', 'p99 ÷ room floor'],
      rows: [
        row(`Client publish → message function → ${others} members → clients`, c.chat),
        row('… the last member of each message', c.chatLastMember, false),
        row('… the sender\'s `published` answer', c.chatAnswer, false),
        row(`Server publish to the room: PutEvents → queue → deliver → ${members} members → clients`, c.room),
        row('… the last member of each notification', c.roomLastMember, false),
        row(`Room floor: ${others} direct @connections posts at once → clients`, c.roomFloor),
        row('… the last of each round', c.roomFloorLast, false),
        ['Gateway floor: one direct @connections post → client (above)', floor.sent, floor.received, floor.p50, floor.p95, floor.p99, floor.max, 1, 1, ratio(floor.p99, c.roomFloor.p99)],
      ],
    },
    target: {
      name: `Client message p99, ${members}-member room (local runtime)`,
      target: `≤ ${CHAT_P99_TARGET_FACTOR}× the gateway floor's p99`,
      measured: `${c.chat.p99} ms, ${chatRatio}× (floor p99 ${floor.p99} ms)`,
      met: Number.isNaN(chatRatio) ? null : c.chat.p99 <= limit,
      ...(c.chat.p99 > limit ? {
        note: `over by ${Math.round((c.chat.p99 - limit) * 10) / 10} ms. The floor is one post at a time; ${others} direct posts at once, without Lambda `
          + `(the room floor), have p99 ${c.roomFloor.p99} ms, and the client message's p99 is ${ratio(c.chat.p99, c.roomFloor.p99)}× that.`,
      } : {}),
    },
    headline: {
      figure: `Client message to a ${members}-member room, publish-to-receive (local runtime)`,
      measured: `p50 ${c.chat.p50} ms, p99 ${c.chat.p99} ms`,
      baseline: `gateway floor: p50 ${floor.p50} ms, p99 ${floor.p99} ms; server publish to the room: p99 ${c.room.p99} ms`,
      ratio: `${ratio(c.chat.p50, floor.p50)} (p50), ${chatRatio} (p99)`,
    },
    notes: [
      `Room: ${members} clients (each a different user) subscribed to \`${CHAT_TOPIC}\` with the sample chat app's rules (publishRules and presenceRules \`rooms/*\`); `
        + `they publish in turn, ${rate} messages/s in all, so each user sends ${Math.round((rate / members) * 100) / 100}/s, under the default per-user limit of 10/s (kept). `
        + `Refused publishes: ${c.refusals.length}${c.refusals.length > 0 ? ` (${[...new Set(c.refusals)].join(', ')})` : ''}; unanswered: ${c.unanswered}; `
        + `frames lost: ${c.chat.sent - c.chat.received} of ${c.chat.sent} (client messages), ${c.room.sent - c.room.received} of ${c.room.sent} (server publish).`,
      'A client message takes the message function\'s path only: the ClientMessage event it puts on the bus is for backends and is not delivered again. '
        + 'The `published` answer comes after every member was posted to (or queued for a retry), so it is about the last member\'s time plus the answer\'s own trip.',
    ],
  };
}
