/** Route selection as API Gateway does it for `$request.body.action`. Pure. */
import { isJsonObject } from '../../lib/private/json-object';

export const DEFAULT_ROUTE = '$default';

/**
 * The route key for one frame: the JSON body's `action` if a route with that key exists,
 * otherwise `$default` (also for frames that are not JSON objects, and for binary frames).
 */
export function selectRoute(frame: string | undefined, routeKeys: ReadonlySet<string>): string {
  if (frame === undefined) return DEFAULT_ROUTE;
  let body: unknown;
  try {
    body = JSON.parse(frame);
  } catch {
    return DEFAULT_ROUTE;
  }
  if (!isJsonObject(body)) return DEFAULT_ROUTE;
  const action = body.action;
  if (typeof action !== 'string' && typeof action !== 'number' && typeof action !== 'boolean') return DEFAULT_ROUTE;
  const key = String(action);
  return routeKeys.has(key) ? key : DEFAULT_ROUTE;
}
