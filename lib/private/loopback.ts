/** Whether a host name, as URL parses it, is this machine: localhost, [::1] and 127.0.0.0/8 (an IPv6 host keeps its brackets). */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(hostname);
}
