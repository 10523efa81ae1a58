// The demo's service worker: shows each push as a notification; a click opens its url.
self.addEventListener('push', (event) => {
  const { title, body, url, id } = event.data ? event.data.json() : { title: 'Notification' };
  event.waitUntil(self.registration.showNotification(title, { body, tag: id, data: { url } }));
});
self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  event.waitUntil(self.clients.openWindow(event.notification.data?.url ?? '/'));
});
