// The push panel: register this tab with the runtime's own push service (a subscription it hands
// out, whose keys it keeps so it can show what it received, decrypted), or the browser itself
// through a service worker (sw.js: a real notification, where the browser allows it). Publish to
// a user with a push part while that user has no tab connected to see a push. Text from pushes
// only ever reaches the page through textContent.
import { onConnection } from '/app.js';

{
  const byId = (id) => document.getElementById(id);
  const push = { client: null, shown: 0 };

  function setResult(text, error = false) {
    const line = byId('push-result');
    line.textContent = text;
    line.classList.toggle('result-error', error);
  }

  function renderDevices(devices) {
    const list = byId('push-devices');
    list.replaceChildren(...devices.devices.map((d) => {
      const item = document.createElement('li');
      item.textContent = new URL(d.endpoint).host;
      item.title = d.endpoint;
      return item;
    }));
    if (devices.devices.length === 0) list.innerHTML = '<li class="empty">No device registered</li>';
  }

  async function register(subscription) {
    try {
      renderDevices(await push.client.registerPush(subscription));
      setResult('Registered. Publish to this user with a push part while no tab of theirs is connected.');
    } catch (error) {
      setResult(`${error.code ?? 'ERROR'}: ${error.message}`, true);
    }
  }

  byId('push-local').addEventListener('click', async () => {
    const subscription = await fetch('/local/push/subscriptions', { method: 'POST' }).then((r) => r.json());
    await register(subscription);
  });

  byId('push-browser').addEventListener('click', async () => {
    if (!('serviceWorker' in navigator) || !('PushManager' in window)) return setResult('This browser has no Web Push here (it needs a secure context: localhost or https).', true);
    if (await Notification.requestPermission() !== 'granted') return setResult('Notifications are not allowed for this page.', true);
    try {
      const { vapidPublicKey } = await fetch('/local/status').then((r) => r.json());
      const registration = await navigator.serviceWorker.register('/sw.js');
      const subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: vapidPublicKey });
      await register(subscription);
    } catch (error) {
      setResult(`The browser would not subscribe: ${error.message}`, true);
    }
  });

  async function poll() {
    const { pushes } = await fetch('/local/push/received').then((r) => r.json()).catch(() => ({ pushes: [] }));
    const list = byId('push-received');
    for (const p of pushes.slice(push.shown)) {
      if (list.querySelector('.empty')) list.replaceChildren();
      const item = document.createElement('li');
      const { title, body, userId } = p.payload ?? {};
      item.textContent = `${p.receivedAt.slice(11, 19)} · ${userId ?? '?'} · ${title ?? JSON.stringify(p.payload)}${body ? ` — ${body}` : ''}`;
      list.prepend(item);
    }
    push.shown = pushes.length;
  }
  setInterval(poll, 2000);
  poll();

  onConnection(({ client, userId, state }) => {
    push.client = userId && state !== 'closed' ? client : null;
    for (const id of ['push-local', 'push-browser']) byId(id).disabled = push.client === null;
    if (push.client && state === 'open') push.client.pushDevices().then(renderDevices).catch(() => undefined);
  });
}
