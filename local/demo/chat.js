// The chat panel: join a room (subscribe, then ask who is there), send messages with
// {"action":"publish"}, and keep the member list current from presence join and leave events.
// It shares the page's one connection: app.js's send() and nextRequestId(), and the
// demo:connection and demo:frame events app.js dispatches. Text from users only ever reaches
// the page through textContent.
'use strict';

(() => {
  const byId = (id) => document.getElementById(id);
  const chat = {
    userId: null, // this connection's user, while connected
    room: null, // the room joined
    joining: null, // the room asked for, until the server answers
    members: new Set(), // the user ids listed
    count: 0, // members in all, listed or not
    membersNote: '', // why there is no list, when there is none
    requests: new Map(), // requestId → { action, item? }: the answers that concern the chat
    shown: new Set(), // message ids on screen: a delivery may repeat
  };

  // ---- rendering ------------------------------------------------------------------------

  function render() {
    const connected = chat.userId !== null;
    const joined = chat.room !== null;
    byId('chat-join').textContent = joined ? 'Leave' : chat.joining ? 'Joining…' : 'Join';
    byId('chat-room').disabled = joined || chat.joining !== null;
    byId('chat-text').disabled = !joined;
    byId('chat-send').disabled = !joined;
    byId('chat-state').textContent = !connected ? 'Connect, then join a room. Open this page in another tab as another user to chat.'
      : joined ? `In ${chat.room} as ${chat.userId}.`
        : `Join a room to chat as ${chat.userId}.`;
    renderMembers();
  }

  function renderMembers() {
    const list = byId('chat-members');
    list.replaceChildren();
    byId('chat-members-title').textContent = chat.room && !chat.membersNote ? `Here now · ${chat.count}` : 'Here now';
    if (chat.room === null || chat.membersNote) {
      list.append(element('li', 'empty', chat.membersNote || 'Join a room to see who is here.'));
      return;
    }
    for (const userId of [...chat.members].sort()) {
      const item = element('li', 'chat-member', userId);
      if (userId === chat.userId) item.append(element('span', 'chat-you', ' (you)'));
      list.append(item);
    }
    const unlisted = chat.count - chat.members.size;
    if (unlisted > 0) list.append(element('li', 'empty', `and ${unlisted} more`));
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    node.textContent = text;
    return node;
  }

  /** Changes the conversation, keeping it scrolled to the newest unless the reader scrolled up. */
  function changeConversation(change) {
    const list = byId('chat-messages');
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    change(list);
    if (atBottom) list.scrollTop = list.scrollHeight;
  }

  function appendToConversation(item) {
    changeConversation((list) => {
      list.append(item);
      while (list.children.length > 300) list.firstElementChild.remove();
    });
    return item;
  }

  function addMessage({ from, text, time, own }) {
    const item = element('li', `chat-message${own ? ' chat-own' : ''}`, '');
    const meta = element('div', 'chat-meta', '');
    meta.append(element('strong', 'chat-from', from ?? 'server'), element('time', '', new Date(time).toLocaleTimeString()));
    item.append(meta, element('p', 'chat-text', text));
    return appendToConversation(item);
  }

  function addNote(text) {
    appendToConversation(element('li', 'chat-note', text));
  }

  function textOf(data) {
    if (typeof data === 'string') return data;
    if (data !== null && typeof data === 'object' && typeof data.text === 'string') return data.text;
    return JSON.stringify(data);
  }

  function showError(frame) {
    const line = byId('chat-error');
    line.textContent = `${inWords(frame)} `;
    line.append(element('code', '', frame.code));
  }

  function clearError() {
    byId('chat-error').replaceChildren();
  }

  /** What went wrong, for a person; the server's own message says what to change. */
  function inWords(frame) {
    switch (frame.code) {
      case 'RATE_LIMITED':
        return `Too many messages at once: not sent. The server asked to wait ${(Math.ceil(frame.retryAfterMs / 100) / 10).toFixed(1)} s before sending again.`;
      case 'FORBIDDEN':
        return `Not allowed: ${frame.message}`;
      case 'PAYLOAD_TOO_LARGE':
        return `Too long to send: ${frame.message}`;
      case 'LIMIT_EXCEEDED':
        return `Too many rooms: ${frame.message}`;
      default:
        return `Refused: ${frame.message}`;
    }
  }

  // ---- the conversation with the server -------------------------------------------------

  function request(frame, extra = {}) {
    const requestId = nextRequestId();
    chat.requests.set(requestId, { action: frame.action, ...extra });
    send({ ...frame, requestId });
  }

  function left(note) {
    if (chat.room !== null && note) addNote(note);
    chat.room = null;
    chat.joining = null;
    chat.members.clear();
    chat.count = 0;
    chat.membersNote = '';
    render();
  }

  function onFrame(frame) {
    const asked = frame.requestId !== undefined ? chat.requests.get(frame.requestId) : undefined;
    if (asked) chat.requests.delete(frame.requestId);

    if (frame.type === 'error') {
      if (!asked) return;
      if (asked.action === 'subscribe') chat.joining = null;
      if (asked.action === 'presence') chat.membersNote = 'This room does not show who is here.';
      if (asked.item) {
        changeConversation(() => {
          asked.item.classList.replace('chat-pending', 'chat-failed');
          asked.item.append(element('small', 'chat-failure', frame.code === 'RATE_LIMITED' ? 'Not sent: too many at once' : 'Not sent'));
        });
      }
      showError(frame);
      render();
      return;
    }
    switch (frame.type) {
      case 'subscribed':
        if (asked?.action !== 'subscribe' || frame.topic !== chat.joining) return;
        chat.joining = null;
        chat.room = frame.topic;
        chat.shown.clear();
        byId('chat-messages').replaceChildren();
        clearError();
        addNote(`You joined ${chat.room}.`);
        request({ action: 'presence', topic: chat.room });
        render();
        byId('chat-text').focus();
        break;
      case 'unsubscribed':
        // Also when left from the Subscribe panel's chips.
        if (frame.topic === chat.room) left(`You left ${frame.topic}.`);
        break;
      case 'published':
        if (!asked?.item) return;
        chat.shown.add(frame.id);
        asked.item.classList.remove('chat-pending');
        clearError();
        break;
      case 'presence':
        if (frame.topic !== chat.room) return;
        if (frame.event === undefined) {
          // This connection is subscribed, so its user is here even when the list is cut short.
          chat.members = new Set([...frame.members.map((m) => m.userId), chat.userId]);
          chat.count = frame.count;
          chat.membersNote = '';
        } else if (frame.event === 'join') {
          if (!chat.members.has(frame.userId)) chat.count += 1;
          chat.members.add(frame.userId);
          addNote(`${frame.userId} joined.`);
        } else {
          // Someone not listed (the list was cut short) may leave too.
          if (chat.members.delete(frame.userId) || chat.count > chat.members.size) chat.count -= 1;
          addNote(`${frame.userId} left.`);
        }
        renderMembers();
        break;
      case 'notification':
        if (frame.topic !== chat.room || chat.shown.has(frame.id)) return;
        chat.shown.add(frame.id);
        addMessage({ from: frame.from, text: textOf(frame.data), time: frame.time, own: frame.from === chat.userId });
        break;
    }
  }

  // ---- wiring -----------------------------------------------------------------------------

  document.addEventListener('demo:frame', (event) => onFrame(event.detail));
  document.addEventListener('demo:connection', (event) => {
    const wasIn = chat.room;
    chat.userId = event.detail.userId;
    chat.requests.clear();
    if (chat.userId === null) left(wasIn ? 'Disconnected: you are no longer in the room.' : '');
    else render();
  });

  byId('chat-room-form').addEventListener('submit', (event) => {
    event.preventDefault();
    if (chat.room !== null) {
      request({ action: 'unsubscribe', topic: chat.room });
      return;
    }
    const room = byId('chat-room').value.trim();
    if (!room || chat.joining !== null) return;
    chat.joining = room;
    request({ action: 'subscribe', topic: room });
    render();
  });

  byId('chat-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = byId('chat-text');
    const text = input.value.trim();
    if (!text || chat.room === null) return;
    // Shown at once and marked sent on "published": this connection does not get its own message back.
    const item = addMessage({ from: chat.userId, text, time: Date.now(), own: true });
    item.classList.add('chat-pending');
    request({ action: 'publish', topic: chat.room, data: { text } }, { item });
    input.value = '';
  });

  render();
})();
