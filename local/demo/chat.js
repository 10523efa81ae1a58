// The chat panel: join a room (subscribe, load its latest messages with history, ask who is
// there), send messages with the client's publish, and keep the member list current from presence
// join and leave events. It shares the page's one client (app.js). Text from users only ever
// reaches the page through textContent.
import { onConnection, showChatRoom, showNotification } from '/app.js';

const HISTORY_ON_JOIN = 20;

{
  const byId = (id) => document.getElementById(id);
  const chat = {
    client: null, // the page's client, while connected
    userId: null, // this connection's user, while connected
    room: null, // the room joined
    joining: null, // the room asked for, until the server answers
    leave: null, // ends the room's subscription and presence listener
    members: new Set(), // the user ids listed
    count: 0, // members in all, listed or not
    membersNote: '', // why there is no list, when there is none
    shown: new Set(), // message ids on screen: history and live deliveries overlap
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

  /** Adds `item` at the end of the conversation, or above `before` (older messages loaded later). */
  function addToConversation(item, before) {
    changeConversation((list) => {
      if (before?.isConnected) list.insertBefore(item, before);
      else list.append(item);
      while (list.children.length > 300) list.firstElementChild.remove();
    });
    return item;
  }

  function addMessage({ from, text, time, own }, before) {
    const item = element('li', `chat-message${own ? ' chat-own' : ''}`, '');
    const meta = element('div', 'chat-meta', '');
    meta.append(element('strong', 'chat-from', from ?? 'server'), element('time', '', new Date(time).toLocaleTimeString()));
    item.append(meta, element('p', 'chat-text', text));
    return addToConversation(item, before);
  }

  function addNote(text) {
    return addToConversation(element('li', 'chat-note', text));
  }

  function textOf(data) {
    if (typeof data === 'string') return data;
    if (data !== null && typeof data === 'object' && typeof data.text === 'string') return data.text;
    return JSON.stringify(data);
  }

  function showError(error) {
    const line = byId('chat-error');
    line.textContent = `${inWords(error)} `;
    line.append(element('code', '', error.code));
  }

  function clearError() {
    byId('chat-error').replaceChildren();
  }

  /** What went wrong, for a person; the server's own message says what to change. */
  function inWords(error) {
    switch (error.code) {
      case 'RATE_LIMITED':
        // In the server's words and unit, as the live feed shows its error frame.
        return `Too many messages at once: not sent. Try again in ${error.retryAfterMs} ms.`;
      case 'FORBIDDEN':
        return `Not allowed: ${error.message}`;
      case 'PAYLOAD_TOO_LARGE':
        return `Too long to send: ${error.message}`;
      case 'LIMIT_EXCEEDED':
        return `Too many rooms: ${error.message}`;
      default:
        return `Refused: ${error.message}`;
    }
  }

  // ---- the conversation with the server -------------------------------------------------

  /** Shows a room notification once (history and a live delivery may both bring it). */
  function showMessage(notification, before) {
    if (chat.shown.has(notification.id)) return;
    chat.shown.add(notification.id);
    addMessage({ from: notification.from, text: textOf(notification.data), time: notification.time, own: notification.from === chat.userId }, before);
  }

  async function join(room) {
    const { client } = chat;
    chat.joining = room;
    render();
    const subscription = client.subscribe(room, (notification) => {
      showNotification(notification);
      if (chat.room === room) showMessage(notification);
    });
    const stopPresence = client.onPresence(room, onPresenceEvent);
    // The server could not replay all that was missed (history expired, say): load the latest.
    const stopGap = client.on('gap', ({ topic }) => {
      if (topic !== room || chat.room !== room) return;
      addNote('Some messages could not be replayed: the latest are below.');
      loadHistory(room);
    });
    const leave = () => {
      subscription.unsubscribe();
      stopPresence();
      stopGap();
    };
    try {
      await subscription.ready;
    } catch (error) {
      leave();
      if (chat.joining === room) chat.joining = null;
      showError(error);
      render();
      return;
    }
    if (chat.client !== client || chat.joining !== room) return leave(); // disconnected meanwhile
    // A chat room tracks who is there (the presence rules); any other topic is not one to join here.
    const presence = await client.presence(room).catch((error) => error);
    if (presence instanceof Error && presence.code === 'FORBIDDEN') {
      leave();
      if (chat.joining === room) chat.joining = null;
      showError({ code: 'FORBIDDEN', message: `${room} is not a chat room (${presence.message}) Try rooms/lobby.` });
      render();
      return;
    }
    if (chat.client !== client || chat.joining !== room) return leave();
    chat.joining = null;
    chat.room = room;
    chat.leave = () => {
      leave();
      showChatRoom(null);
    };
    showChatRoom(room);
    chat.shown.clear();
    byId('chat-messages').replaceChildren();
    clearError();
    // The latest messages go above this line as soon as they are loaded.
    const joinedNote = addNote(`You joined ${room}.`);
    render();
    byId('chat-text').focus();
    loadHistory(room, joinedNote);
    loadPresence(room);
  }

  /** The room's latest messages not shown yet, above `before` (or at the end); rooms without history have none. */
  async function loadHistory(room, before) {
    let page;
    try {
      page = await chat.client.history(room, { limit: HISTORY_ON_JOIN });
    } catch {
      return;
    }
    if (chat.room === room) page.notifications.forEach((notification) => showMessage(notification, before));
  }

  async function loadPresence(room) {
    try {
      const answer = await chat.client.presence(room);
      if (chat.room !== room) return;
      // This connection is subscribed, so its user is here even when the list is cut short.
      chat.members = new Set([...answer.members.map((m) => m.userId), chat.userId]);
      chat.count = answer.count;
      chat.membersNote = '';
    } catch (error) {
      if (chat.room !== room || error.code === 'DISCONNECTED') return; // asked again on reconnect
      chat.membersNote = 'This room does not show who is here.';
    }
    renderMembers();
  }

  function onPresenceEvent(event) {
    if (event.topic !== chat.room) return;
    if (event.event === 'join') {
      if (!chat.members.has(event.userId)) chat.count += 1;
      chat.members.add(event.userId);
      addNote(`${event.userId} joined.`);
    } else {
      // Someone not listed (the list was cut short) may leave too.
      if (chat.members.delete(event.userId) || chat.count > chat.members.size) chat.count -= 1;
      addNote(`${event.userId} left.`);
    }
    renderMembers();
  }

  function left(note) {
    if (chat.room !== null && note) addNote(note);
    chat.leave?.();
    chat.leave = null;
    chat.room = null;
    chat.joining = null;
    chat.members.clear();
    chat.count = 0;
    chat.membersNote = '';
    render();
  }

  async function send(text) {
    const room = chat.room;
    // Shown at once and marked sent once the server accepted it: without echo it does not come back.
    const item = addMessage({ from: chat.userId, text, time: Date.now(), own: true });
    item.classList.add('chat-pending');
    try {
      const { id } = await chat.client.publish(room, { text });
      chat.shown.add(id);
      item.classList.remove('chat-pending');
      clearError();
    } catch (error) {
      changeConversation(() => {
        item.classList.replace('chat-pending', 'chat-failed');
        item.append(element('small', 'chat-failure', error.code === 'RATE_LIMITED' ? 'Not sent: too many at once' : 'Not sent'));
      });
      showError(error);
    }
  }

  // ---- wiring -----------------------------------------------------------------------------

  onConnection(({ client, userId, state: connectionState }) => {
    if (connectionState === 'closed') {
      chat.client = null;
      chat.userId = null;
      left('Disconnected: you are no longer in the room.');
      return;
    }
    chat.client = client;
    if (connectionState === 'open') chat.userId = userId;
    // The client resubscribes the room from where it was: what was missed arrives, then live messages.
    if (chat.room !== null && connectionState === 'reconnecting') addNote('Connection lost: reconnecting…');
    if (chat.room !== null && connectionState === 'open') {
      addNote('Reconnected: anything missed meanwhile follows.');
      loadPresence(chat.room);
    }
    render();
  });

  byId('chat-room-form').addEventListener('submit', (event) => {
    event.preventDefault();
    if (chat.room !== null) {
      left(`You left ${chat.room}.`);
      return;
    }
    const room = byId('chat-room').value.trim();
    if (!room || chat.joining !== null || chat.client === null) return;
    join(room);
  });

  byId('chat-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = byId('chat-text');
    const text = input.value.trim();
    if (!text || chat.room === null) return;
    send(text);
    input.value = '';
  });

  render();
}
