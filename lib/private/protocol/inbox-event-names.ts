/**
 * The inbox's events on the bus, by name (inbox-events.ts has their schemas): apart, so that the
 * runtime contract can name them in the rules' patterns without loading the schemas.
 */
/** The detail type of a backend's mark-read. */
export const MARK_READ_DETAIL_TYPE = 'MarkRead';
/** The detail type of the event every mark-read that changed something puts on the bus. */
export const NOTIFICATIONS_READ_DETAIL_TYPE = 'NotificationsRead';
/** The detail type of a backend's registration (or removal) of a user's mobile push device. */
export const PUSH_DEVICE_DETAIL_TYPE = 'PushDevice';
/** The `Source` of `NotificationsRead` events. */
export const INBOX_EVENT_SOURCE = 'realtime-notifications.inbox';
