/** Whether parsed JSON is an object (not null, not an array): pure, for lib/, lambda/ and local/. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
