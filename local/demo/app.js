// The demo page: connect as a user with the client library (/client.js, built from client/),
// subscribe to topics, publish through EventBridge's PutEvents endpoint, and watch the frames the
// server pushes. Plain browser JavaScript, no build step of its own.
import { connect as connectClient, keepAliveTiming } from '/client.js';

const $ = (selector) => document.querySelector(selector);
const state = {
  client: null, userId: null, subscriptions: new Map(), chatRoom: null, busName: 'notifications-local', detailType: 'Notification', region: 'us-east-1',
  allowBroadcast: true,
};
/** The sockets the library has open (two while it replaces one): the raw panel sends on the newest. */
const sockets = [];
const connectionListeners = new Set();

const wsBase = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/local`;
$('#ws-url').title = `connect({ url: '${wsBase}', token })`;

/** The local runtime's closes, which the client's keep-alive and make-before-break are timed by. */
const runtimeStatus = fetch('/local/status').then((r) => r.json());

// ---- connection ---------------------------------------------------------------------------

const STATUS = {
  connecting: { kind: 'busy', text: () => 'Connecting…' },
  open: { kind: 'on', text: (userId) => `Connected as ${userId}` },
  reconnecting: { kind: 'busy', text: () => 'Reconnecting…' },
  closed: { kind: 'off', text: () => 'Disconnected' },
};

/** Shows the client's state (connecting, open, reconnecting, closed) in the header. */
function setStatus(connectionState) {
  const { kind, text } = STATUS[connectionState];
  const pill = $('#status');
  pill.textContent = text(state.userId);
  pill.title = pill.textContent;
  pill.className = `pill pill-${kind}`;
  pill.dataset.state = connectionState;
  const open = connectionState === 'open';
  document.querySelectorAll('[data-needs-connection]').forEach((el) => { el.disabled = !open; });
  $('#connect-button').textContent = connectionState === 'closed' ? 'Connect' : 'Disconnect';
  $('#user-id').disabled = connectionState !== 'closed';
}

/** The client's timing for the local runtime's closes (the client's defaults, API Gateway's, when unknown). */
function timingFor(status) {
  return status?.maxConnectionMs ? keepAliveTiming(status) : {};
}

/** A fresh token for every (re)connect. */
async function fetchToken(userId) {
  // Short-lived tokens: the server asks for a fresh one before each expires (a `reauth` frame).
  const lifetime = $('#short-tokens').checked ? '&expiresIn=60' : '';
  const response = await fetch(`/dev/token?userId=${encodeURIComponent(userId)}${lifetime}`);
  const answer = await response.json();
  if (!response.ok) throw new Error(answer.message);
  return answer.token;
}

/**
 * The WebSocket class the library opens its sockets with: the live feed sees every frame the
 * server sends, and the raw panel can send on the socket the library uses.
 */
class ObservedWebSocket extends WebSocket {
  constructor(url, protocols) {
    super(url, protocols);
    let opened = false;
    this.addEventListener('open', () => {
      opened = true;
      sockets.push(this);
      if (sockets.length > 1) addFeed('info', 'New connection', 'opened and resubscribed before the old one closes: no gap');
    });
    this.addEventListener('message', (event) => onFrame(event.data));
    this.addEventListener('close', (event) => {
      if (opened) sockets.splice(sockets.indexOf(this), 1);
      if (!opened) addFeed('error', 'Connection refused', 'the gateway refused the handshake (see the terminal)');
      else addFeed('info', 'Socket closed', `close code ${event.code}${event.reason ? ` (${event.reason})` : ''}`);
    });
  }
}

async function connect(userId) {
  state.userId = userId;
  setStatus('connecting');
  const client = connectClient({
    url: wsBase,
    token: () => fetchToken(userId),
    WebSocket: ObservedWebSocket,
    ...timingFor(await runtimeStatus.catch(() => undefined)),
  });
  state.client = client;
  let opened = false;
  client.on('state', (connectionState) => {
    if (state.client !== client) return;
    setStatus(connectionState);
    if (connectionState === 'open') {
      addFeed('info', opened ? 'Reconnected' : 'Connected', opened ? 'resubscribed from the last position received' : `as ${userId}`);
      opened = true;
    } else if (connectionState === 'reconnecting') {
      addFeed('info', 'Reconnecting', 'the connection dropped: connecting again with a fresh token');
    } else if (connectionState === 'closed') {
      addFeed('info', 'Disconnected', '');
      state.client = null;
      state.subscriptions.clear();
      renderTopics();
      renderBell(0);
    }
    announce(client, userId, connectionState);
  });
  // Refusals of frames show as the error frames themselves; a failed token has no frame. Before the
  // first connection it is the user id the issuer refused: stop, so that it can be changed.
  client.on('error', (error) => {
    if (error.code === 'KICKED') addFeed('info', 'Kicked', 'a backend ended your connections: the client does not reconnect on its own');
    if (error.code !== 'TOKEN_FAILED') return;
    addFeed('error', 'Token refused', error.message);
    if (!opened) client.close();
  });
  client.on('gap', ({ topic }) => addFeed('error', 'Missed notifications', `the server could not replay what ${topic ?? 'your own stream'} missed`));
  client.onUserNotification(showNotification);
  // The bell: the unread count, kept current on every device (a new notification, a mark-read in another tab).
  client.inbox.on('unread', (count) => {
    if (state.client === client) renderBell(count);
  });
}

/** The room the chat panel joined (null once it left): listed with the subscriptions (chat.js). */
export function showChatRoom(room) {
  state.chatRoom = room;
  renderTopics();
}

function renderBell(count) {
  const badge = $('#unread-count');
  badge.textContent = count > 99 ? '99+' : String(count);
  badge.dataset.count = String(count);
}

$('#inbox-bell').addEventListener('click', () => {
  state.client?.inbox.markAllRead().then(
    (count) => addFeed('info', 'Marked all read', `unread: ${count}; your other tabs' bells follow`),
    (error) => addFeed('error', 'Mark read refused', error.message),
  );
});

/** Calls `listener({ client, userId, state })` on every change of the connection (chat.js). */
export function onConnection(listener) {
  connectionListeners.add(listener);
}

function announce(client, userId, connectionState) {
  connectionListeners.forEach((listener) => listener({ client, userId, state: connectionState }));
}

/** Sends `text` as is on the library's socket, for the raw panel. */
function sendRaw(text) {
  const socket = sockets[sockets.length - 1];
  if (socket?.readyState === WebSocket.OPEN) socket.send(text);
}

// ---- frames from the server ---------------------------------------------------------------

/** A notification the library handed over: once each, in order. */
export function showNotification(frame) {
  const to = frame.topic !== undefined ? `topic ${frame.topic}` : frame.userId !== undefined ? `user ${frame.userId}` : 'everyone';
  const position = frame.seq !== undefined ? ` · seq ${frame.seq}` : '';
  addFeed('notification', `Notification · ${to}`, JSON.stringify(frame.data, null, 2), `id ${frame.id}${frame.from !== undefined ? ` · from ${frame.from}` : ''}${position}`);
}

/** Every other frame, as it arrives on the socket (notifications show once the library handed them over). */
function onFrame(text) {
  let frame;
  try {
    frame = JSON.parse(text);
  } catch {
    addFeed('error', 'Unreadable frame', text);
    return;
  }
  switch (frame.type) {
    case 'notification':
      break;
    case 'subscribed':
      addFeed('ack', 'Subscribed', `${frame.topic}${caughtUp(frame)}`);
      break;
    case 'resumed':
      addFeed('ack', 'Resumed', `your own notifications${caughtUp(frame)}`);
      break;
    case 'history':
      addFeed('ack', 'History', `${frame.topic} · ${frame.notifications.length} notification(s)${frame.hasMore ? ', more before' : ''}`);
      break;
    case 'published':
      addFeed('ack', 'Published', `${frame.topic} · id ${frame.id}`);
      break;
    case 'presence':
      addFeed('ack', 'Presence', frame.event ? `${frame.userId} ${frame.event === 'join' ? 'joined' : 'left'} ${frame.topic}` : `${frame.count} in ${frame.topic}`);
      break;
    case 'unsubscribed':
      addFeed('ack', 'Unsubscribed', frame.topic);
      break;
    case 'pong':
      addFeed('ack', 'Pong', '');
      break;
    case 'unread':
      addFeed('ack', 'Unread', `${frame.count} not read (seq ${frame.seq}, read version ${frame.readVersion})`);
      break;
    case 'inbox':
      addFeed('ack', 'Inbox', `${frame.notifications.length} notification(s), ${frame.unread} unread`);
      break;
    case 'pushDevices':
      addFeed('ack', 'Push devices', `${frame.devices.length} of at most ${frame.max} registered`);
      break;
    case 'reauth':
      addFeed('info', 'Token expiring', `the server asks for a fresh token before ${new Date(frame.expiresAt * 1000).toLocaleTimeString()}; the client sends one`);
      break;
    case 'reauthed':
      addFeed('ack', 'Token renewed', `over the open connection, now valid until ${new Date(frame.expiresAt * 1000).toLocaleTimeString()}`);
      break;
    case 'closing':
      addFeed('error', `Closing · ${frame.code}`, frame.message);
      break;
    case 'error':
      addFeed('error', `Error · ${frame.code}`, frame.message);
      break;
    default:
      addFeed('info', 'Frame', text);
  }
}

/** A resubscribe from a position: the server replayed what was missed (when it cannot, the client reports a gap). */
function caughtUp(ack) {
  return ack.recovered ? ' · caught up from the last position' : '';
}

function addFeed(kind, title, body, meta) {
  const feed = $('#feed');
  feed.querySelector('.empty')?.remove();
  const item = document.createElement('li');
  item.className = `entry entry-${kind}`;
  const head = document.createElement('div');
  head.className = 'entry-head';
  const strong = document.createElement('strong');
  strong.textContent = title;
  const time = document.createElement('time');
  time.textContent = new Date().toLocaleTimeString();
  head.append(strong, time);
  item.append(head);
  if (body) {
    const pre = document.createElement('pre');
    pre.textContent = body;
    item.append(pre);
  }
  if (meta) {
    const small = document.createElement('small');
    small.textContent = meta;
    item.append(small);
  }
  // Oldest first, as the chat: new entries at the bottom, followed unless the reader scrolled up.
  const atBottom = feed.scrollHeight - feed.scrollTop - feed.clientHeight < 40;
  feed.append(item);
  while (feed.children.length > 200) feed.firstElementChild.remove();
  if (atBottom) feed.scrollTop = feed.scrollHeight;
}

function renderTopics() {
  const list = $('#topics');
  list.replaceChildren();
  if (state.subscriptions.size === 0 && state.chatRoom === null) {
    const empty = document.createElement('li');
    empty.className = 'empty';
    empty.textContent = 'No subscriptions yet';
    list.append(empty);
    return;
  }
  if (state.chatRoom !== null && !state.subscriptions.has(state.chatRoom)) {
    const chip = document.createElement('li');
    chip.className = 'chip chip-chat';
    chip.title = 'Joined in the chat panel: leave the room there';
    chip.textContent = `${state.chatRoom} · chat`;
    list.append(chip);
  }
  for (const [topic, subscription] of state.subscriptions) {
    const chip = document.createElement('li');
    chip.className = 'chip';
    chip.textContent = topic;
    const remove = document.createElement('button');
    remove.type = 'button';
    remove.className = 'chip-remove';
    remove.setAttribute('aria-label', `Unsubscribe from ${topic}`);
    remove.textContent = '×';
    remove.addEventListener('click', () => {
      subscription.unsubscribe();
      state.subscriptions.delete(topic);
      renderTopics();
    });
    chip.append(remove);
    list.append(chip);
  }
}

// ---- publishing ---------------------------------------------------------------------------

function selectedTarget() {
  return document.querySelector('input[name="target"]:checked').value;
}

function detailFor(target, to, data) {
  if (target === 'broadcast') return { broadcast: true, data };
  // A user-targeted notification may carry a push part: pushed when no connection of the user takes it.
  const pushTitle = target === 'userId' ? $('#publish-push').value.trim() : '';
  return pushTitle ? { [target]: to, data, push: { title: pushTitle } } : { [target]: to, data };
}

async function publish(detail) {
  const response = await fetch('/', {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.PutEvents' },
    body: JSON.stringify({
      Entries: [{ EventBusName: state.busName, Source: 'demo.page', DetailType: state.detailType, Detail: JSON.stringify(detail) }],
    }),
  });
  return response.json();
}

/**
 * A notification that breaks the publish contract is accepted by the bus and then dead-lettered
 * by deliver; look for it shortly after, so the page can say why nothing arrived.
 */
async function reportDeadLetter(eventId, result) {
  for (let attempt = 0; attempt < 5; attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const dlq = await fetch('/local/dlq').then((r) => r.json()).catch(() => ({ messages: [] }));
    const letter = dlq.messages.find((m) => m.messageAttributes.eventId === eventId);
    if (state.lastEventId !== eventId) return; // a later publish owns the result line now
    if (letter) {
      result.className = 'result result-error';
      result.textContent = `Accepted by the bus, then sent to the dead-letter queue: ${letter.messageAttributes.reason}: ${letter.messageAttributes.reasonMessage}`;
      return;
    }
  }
}

/** `text` as one single-quoted shell word. */
function shellQuote(text) {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * The AWS CLI command that publishes the same, ready to paste: the local runtime accepts any
 * credentials, but the CLI needs a region and some credentials before it sends anything.
 */
function renderExample() {
  const target = selectedTarget();
  let data;
  try {
    data = JSON.parse($('#publish-data').value || 'null');
  } catch {
    data = '…';
  }
  const detail = JSON.stringify(detailFor(target, $('#publish-to').value, data));
  const entries = [
    '[{',
    `  "EventBusName": "${state.busName}", "Source": "my.backend", "DetailType": "${state.detailType}",`,
    `  "Detail": ${JSON.stringify(detail)}`,
    '}]',
  ].join('\n');
  $('#publish-example').textContent = [
    `AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local aws events put-events \\`,
    `  --region ${state.region} --endpoint-url ${location.origin} --entries ${shellQuote(entries)}`,
  ].join('\n');
}

// ---- wiring -------------------------------------------------------------------------------

$('#connect-form').addEventListener('submit', (event) => {
  event.preventDefault();
  if (state.client) {
    state.client.close();
    return;
  }
  connect($('#user-id').value.trim()).catch((error) => {
    setStatus('closed');
    addFeed('error', 'Could not connect', error.message);
  });
});

$('#subscribe-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const topic = $('#topic').value.trim();
  const { client } = state;
  if (!client || state.subscriptions.has(topic)) return;
  // The library resubscribes it after every reconnect; a refusal shows as its error frame.
  const subscription = client.subscribe(topic, showNotification);
  subscription.ready.then(() => {
    if (state.client !== client) return;
    state.subscriptions.set(topic, subscription);
    renderTopics();
  }, () => undefined);
});

$('#raw-form').addEventListener('submit', (event) => {
  event.preventDefault();
  sendRaw($('#raw-frame').value);
});

$('#ping-button').addEventListener('click', () => sendRaw(JSON.stringify({ action: 'ping' })));
// As a network drop: the library sees its socket close, and reconnects.
$('#drop-button').addEventListener('click', () => sockets[sockets.length - 1]?.close(4000, 'dropped from the page'));
// What a backend does to revoke a user: a ConnectionControl event on the bus ends every connection of theirs.
$('#kick-button').addEventListener('click', () => {
  fetch('/', {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.PutEvents' },
    body: JSON.stringify({
      Entries: [{ EventBusName: state.busName, Source: 'demo.page', DetailType: 'ConnectionControl', Detail: JSON.stringify({ action: 'disconnect', userId: state.userId, reason: 'Kicked from the demo page.' }) }],
    }),
  }).catch((error) => addFeed('error', 'Kick not sent', error.message));
});
$('#clear-feed').addEventListener('click', () => {
  $('#feed').replaceChildren();
});

function renderTarget() {
  const target = selectedTarget();
  // Everyone needs no address: no field for one.
  $('#publish-to-label').hidden = target === 'broadcast';
  $('#publish-to').hidden = target === 'broadcast';
  $('#publish-to-label').textContent = target === 'topic' ? 'Topic' : 'User id';
  $('#publish-to').value = target === 'topic' ? $('#topic').value : target === 'userId' ? (state.userId ?? $('#user-id').value) : '';
  $('#broadcast-off').hidden = target !== 'broadcast' || state.allowBroadcast;
  renderExample();
}

document.querySelectorAll('input[name="target"]').forEach((radio) => radio.addEventListener('change', renderTarget));
$('#publish-to').addEventListener('input', renderExample);
$('#publish-data').addEventListener('input', renderExample);
$('#publish-push').addEventListener('input', renderExample);

$('#publish-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const result = $('#publish-result');
  let data;
  try {
    data = JSON.parse($('#publish-data').value);
  } catch {
    result.className = 'result result-error';
    result.textContent = 'Data must be JSON, e.g. {"hello": "world"} or "text".';
    return;
  }
  try {
    const answer = await publish(detailFor(selectedTarget(), $('#publish-to').value.trim(), data));
    const entry = answer.Entries?.[0];
    if (entry?.EventId) {
      result.className = 'result result-ok';
      result.textContent = `Accepted by the bus as event ${entry.EventId}`;
      state.lastEventId = entry.EventId;
      reportDeadLetter(entry.EventId, result);
    } else {
      result.className = 'result result-error';
      result.textContent = `Refused: ${entry?.ErrorCode ?? answer.__type}: ${entry?.ErrorMessage ?? answer.message}`;
    }
  } catch (error) {
    result.className = 'result result-error';
    result.textContent = `Could not reach the bus: ${error.message}`;
  }
});

runtimeStatus.then((status) => {
  state.busName = status.eventBusName;
  state.detailType = status.detailType;
  state.region = status.region;
  state.allowBroadcast = status.allowBroadcast;
  if (!status.allowBroadcast) {
    // Still selectable, to show what happens to a broadcast then: it is dead-lettered.
    const label = document.querySelector('input[value="broadcast"]').parentElement;
    label.classList.add('off');
    label.title = 'Broadcast is off (allowBroadcast: false): such events go to the dead-letter queue, see /local/dlq';
  }
  renderTarget();
}).catch(() => renderExample());

document.body.dataset.ready = 'true';
