/**
 * Mobile push through SNS: a device token becomes an endpoint of the platform application the
 * construct was given for its platform (`push.apns`, `push.fcm`), and a push is an SNS Publish
 * to that endpoint, with the message for APNs and for FCM side by side. The SNS client is loaded
 * on first use.
 */
import type { PushPayload } from './push-message';
import type { PushOutcome, WebPushOptions } from './web-push-sender';

export type MobilePlatform = 'apns' | 'fcm';

export interface MobilePush {
  /** The platforms a device may be registered for: those with an application. */
  readonly platforms: readonly MobilePlatform[];
  /** The endpoint of `token` (SNS returns the same one for a token registered before). */
  createEndpoint(platform: MobilePlatform, token: string): Promise<string>;
  deleteEndpoint(endpointArn: string): Promise<void>;
  publish(endpointArn: string, payload: PushPayload, options: WebPushOptions): Promise<PushOutcome>;
}

/** SNS errors that mean the endpoint will never take a push again: the token expired or the app was removed. */
const GONE = new Set(['EndpointDisabledException', 'EndpointDisabled', 'NotFoundException', 'NotFound']);
/** Errors worth trying again later. */
const RETRY = new Set(['ThrottledException', 'Throttling', 'InternalErrorException', 'InternalError', 'KMSThrottlingException', 'TimeoutError', 'AbortError']);

/** The SNS message: what a device shows (title, body), and the whole payload for the app. */
export function snsMessage(payload: PushPayload): string {
  const { title, body } = payload;
  const apns = JSON.stringify({ aps: { alert: { title, ...(body !== undefined && { body }) } }, payload });
  return JSON.stringify({
    default: title,
    APNS: apns,
    APNS_SANDBOX: apns,
    // No collapse key for FCM: it keeps at most four per device while offline, dropping the rest.
    GCM: JSON.stringify({ notification: { title, ...(body !== undefined && { body }) }, data: { payload: JSON.stringify(payload) } }),
  });
}

export function outcomeOfSnsError(error: unknown): PushOutcome {
  const name = (error as { name?: string }).name ?? 'Error';
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (GONE.has(name)) return { kind: 'gone', status: status ?? 400 };
  if (RETRY.has(name) || status === undefined || status >= 500) return { kind: 'retry', reason: `SNS ${name}` };
  return { kind: 'failed', reason: `SNS ${name}` };
}

export function createMobilePush(applications: Partial<Record<MobilePlatform, string>>): MobilePush | undefined {
  const platforms = (Object.keys(applications) as MobilePlatform[]).filter((p) => applications[p]);
  if (platforms.length === 0) return undefined;
  let client: Promise<{ sns: import('@aws-sdk/client-sns').SNSClient; sdk: typeof import('@aws-sdk/client-sns') }> | undefined;
  const sns = () => (client ??= import('@aws-sdk/client-sns').then((sdk) => ({ sdk, sns: new sdk.SNSClient({}) })));
  return {
    platforms,
    async createEndpoint(platform, token) {
      const { sdk, sns: c } = await sns();
      const { EndpointArn } = await c.send(new sdk.CreatePlatformEndpointCommand({ PlatformApplicationArn: applications[platform], Token: token }));
      if (EndpointArn === undefined) throw new Error('SNS created no endpoint');
      return EndpointArn;
    },
    async deleteEndpoint(endpointArn) {
      const { sdk, sns: c } = await sns();
      await c.send(new sdk.DeleteEndpointCommand({ EndpointArn: endpointArn }));
    },
    async publish(endpointArn, payload, options) {
      const { sdk, sns: c } = await sns();
      const ttl = { DataType: 'String', StringValue: String(options.ttlSeconds) };
      try {
        await c.send(new sdk.PublishCommand({
          TargetArn: endpointArn,
          MessageStructure: 'json',
          Message: snsMessage(payload),
          MessageAttributes: {
            'AWS.SNS.MOBILE.APNS.TTL': ttl,
            'AWS.SNS.MOBILE.FCM.TTL': ttl,
            ...(options.collapseKey !== undefined ? { 'AWS.SNS.MOBILE.APNS.COLLAPSE_ID': { DataType: 'String', StringValue: options.collapseKey } } : {}),
          },
        }));
        return { kind: 'sent' };
      } catch (error) {
        return outcomeOfSnsError(error);
      }
    },
  };
}
