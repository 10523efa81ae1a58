// The demo page: connect as a user, subscribe to topics, publish through EventBridge's PutEvents
// endpoint, and watch the frames the server pushes. Plain browser JavaScript, no build step.
'use strict';

const $ = (selector) => document.querySelector(selector);
const state = {
  socket: null, userId: null, topics: new Set(), busName: 'notifications-local', detailType: 'Notification', region: 'us-east-1',
  allowBroadcast: true, requests: 0,
};

const wsBase = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/local`;
$('#ws-url').title = `new WebSocket('${wsBase}', ['realtime.v1', 'token.<JWT>'])`;

// ---- connection ---------------------------------------------------------------------------

function setStatus(text, kind) {
  const pill = $('#status');
  pill.textContent = text;
  pill.className = `pill pill-${kind}`;
  const connected = kind === 'on';
  document.querySelectorAll('[data-needs-connection]').forEach((el) => { el.disabled = !connected; });
  $('#connect-button').textContent = connected || kind === 'busy' ? 'Disconnect' : 'Connect';
  $('#user-id').disabled = connected || kind === 'busy';
}

async function connect(userId) {
  setStatus('Connecting…', 'busy');
  const response = await fetch(`/dev/token?userId=${encodeURIComponent(userId)}`);
  const answer = await response.json();
  if (!response.ok) {
    setStatus('Disconnected', 'off');
    addFeed('error', 'Token refused', answer.message);
    return;
  }
  // The token travels as a subprotocol, so it stays out of the URL; the server answers with realtime.v1.
  const socket = new WebSocket(wsBase, ['realtime.v1', `token.${answer.token}`]);
  state.socket = socket;
  let opened = false;
  socket.addEventListener('open', () => {
    opened = true;
    state.userId = userId;
    setStatus(`Connected as ${userId}`, 'on');
    addFeed('info', 'Connected', `as ${userId}`);
    announce('demo:connection', { userId });
  });
  socket.addEventListener('message', (event) => onFrame(event.data));
  socket.addEventListener('close', (event) => {
    if (state.socket === socket) state.socket = null;
    state.topics.clear();
    renderTopics();
    setStatus('Disconnected', 'off');
    announce('demo:connection', { userId: null });
    addFeed(opened ? 'info' : 'error', opened ? 'Disconnected' : 'Connection refused',
      opened ? `close code ${event.code}${event.reason ? ` (${event.reason})` : ''}` : 'the gateway refused the handshake (see the terminal)');
  });
}

function send(frame) {
  if (!state.socket || state.socket.readyState !== WebSocket.OPEN) return;
  state.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
}

/** Tells other modules of the page (chat.js) about the connection and its frames. */
function announce(name, detail) {
  document.dispatchEvent(new CustomEvent(name, { detail }));
}

function nextRequestId() {
  state.requests += 1;
  return `r${state.requests}`;
}

// ---- frames from the server ---------------------------------------------------------------

function onFrame(text) {
  let frame;
  try {
    frame = JSON.parse(text);
  } catch {
    addFeed('error', 'Unreadable frame', text);
    return;
  }
  announce('demo:frame', frame);
  switch (frame.type) {
    case 'notification': {
      const to = frame.topic !== undefined ? `topic ${frame.topic}` : frame.userId !== undefined ? `user ${frame.userId}` : 'everyone';
      addFeed('notification', `Notification · ${to}`, JSON.stringify(frame.data, null, 2), `id ${frame.id}${frame.from !== undefined ? ` · from ${frame.from}` : ''}`);
      break;
    }
    case 'subscribed':
      state.topics.add(frame.topic);
      renderTopics();
      addFeed('ack', 'Subscribed', frame.topic);
      break;
    case 'unsubscribed':
      state.topics.delete(frame.topic);
      renderTopics();
      addFeed('ack', 'Unsubscribed', frame.topic);
      break;
    case 'pong':
      addFeed('ack', 'Pong', '');
      break;
    case 'error':
      addFeed('error', `Error · ${frame.code}`, frame.message);
      break;
    default:
      addFeed('info', 'Frame', text);
  }
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
  feed.prepend(item);
  while (feed.children.length > 200) feed.lastElementChild.remove();
}

function renderTopics() {
  const list = $('#topics');
  list.replaceChildren();
  if (state.topics.size === 0) {
    const empty = document.createElement('li');
    empty.className = 'empty';
    empty.textContent = 'No subscriptions yet';
    list.append(empty);
    return;
  }
  for (const topic of state.topics) {
    const chip = document.createElement('li');
    chip.className = 'chip';
    chip.textContent = topic;
    const remove = document.createElement('button');
    remove.type = 'button';
    remove.className = 'chip-remove';
    remove.setAttribute('aria-label', `Unsubscribe from ${topic}`);
    remove.textContent = '×';
    remove.addEventListener('click', () => send({ action: 'unsubscribe', topic, requestId: nextRequestId() }));
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
  return { [target]: to, data };
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
  if (state.socket) {
    state.socket.close(1000, 'bye');
    return;
  }
  connect($('#user-id').value.trim()).catch((error) => {
    setStatus('Disconnected', 'off');
    addFeed('error', 'Could not connect', error.message);
  });
});

$('#subscribe-form').addEventListener('submit', (event) => {
  event.preventDefault();
  send({ action: 'subscribe', topic: $('#topic').value.trim(), requestId: nextRequestId() });
});

$('#raw-form').addEventListener('submit', (event) => {
  event.preventDefault();
  send($('#raw-frame').value);
});

$('#ping-button').addEventListener('click', () => send({ action: 'ping' }));
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

fetch('/local/status').then((r) => r.json()).then((status) => {
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
