/**
 * A local stand-in for the SNS mobile push calls the handlers make, over SNS's query protocol
 * (form-encoded `Action=…`, XML answers): `CreatePlatformEndpoint` (one endpoint per token, as
 * SNS gives), `Publish` to an endpoint (kept, for the tests and the terminal) and
 * `DeleteEndpoint`. `disable()` turns an endpoint off, as SNS does when APNs or FCM reports its
 * token invalid: publishing to it then fails with EndpointDisabled.
 */
import { randomUUID } from 'node:crypto';
import { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from './http';

export interface PublishedPush {
  readonly endpointArn: string;
  /** The Message, parsed (MessageStructure json). */
  readonly message: Record<string, string>;
  readonly attributes: Record<string, string>;
}

const XMLNS = 'http://sns.amazonaws.com/doc/2010-03-31/';

export class LocalSns {
  private readonly endpoints = new Map<string, { token: string; enabled: boolean }>();
  readonly published: PublishedPush[] = [];

  constructor(private readonly region: string, private readonly account: string) {}

  disable(endpointArn: string): void {
    const endpoint = this.endpoints.get(endpointArn);
    if (endpoint) endpoint.enabled = false;
  }

  endpointOf(token: string): string | undefined {
    return [...this.endpoints].find(([, e]) => e.token === token)?.[0];
  }

  /** Answers an SNS query-protocol request; false for any other request. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    if (req.method !== 'POST' || !String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) return false;
    void readBody(req, 300 * 1024).then((text) => {
      const form = new URLSearchParams(text);
      const answer = this.act(form.get('Action') ?? '', form);
      const body = 'error' in answer
        ? `<ErrorResponse xmlns="${XMLNS}"><Error><Type>Sender</Type><Code>${answer.error}</Code><Message>${answer.message}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`
        : `<${answer.action}Response xmlns="${XMLNS}">${answer.result}<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${answer.action}Response>`;
      res.writeHead('error' in answer ? 400 : 200, { 'content-type': 'text/xml' }).end(body);
    });
    return true;
  }

  private act(action: string, form: URLSearchParams): { action: string; result: string } | { error: string; message: string } {
    if (action === 'CreatePlatformEndpoint') {
      const app = form.get('PlatformApplicationArn') ?? '';
      const token = form.get('Token') ?? '';
      const match = /^arn:aws:sns:[\w-]+:\d{12}:app\/([\w]+)\/([\w.-]+)$/.exec(app);
      if (!match || token === '') return { error: 'InvalidParameter', message: 'Invalid parameter: PlatformApplicationArn or Token' };
      const arn = this.endpointOf(token) ?? `arn:aws:sns:${this.region}:${this.account}:endpoint/${match[1]}/${match[2]}/${randomUUID()}`;
      this.endpoints.set(arn, { token, enabled: this.endpoints.get(arn)?.enabled ?? true });
      return { action, result: `<CreatePlatformEndpointResult><EndpointArn>${arn}</EndpointArn></CreatePlatformEndpointResult>` };
    }
    if (action === 'DeleteEndpoint') {
      this.endpoints.delete(form.get('EndpointArn') ?? '');
      return { action, result: '' };
    }
    if (action === 'Publish') {
      const endpointArn = form.get('TargetArn') ?? '';
      const endpoint = this.endpoints.get(endpointArn);
      if (!endpoint) return { error: 'NotFound', message: 'Endpoint does not exist' };
      if (!endpoint.enabled) return { error: 'EndpointDisabled', message: 'Endpoint is disabled' };
      const attributes: Record<string, string> = {};
      for (let i = 1; form.has(`MessageAttributes.entry.${i}.Name`); i++) {
        attributes[form.get(`MessageAttributes.entry.${i}.Name`)!] = form.get(`MessageAttributes.entry.${i}.Value.StringValue`) ?? '';
      }
      this.published.push({ endpointArn, message: JSON.parse(form.get('Message') ?? '{}') as Record<string, string>, attributes });
      return { action, result: `<PublishResult><MessageId>${randomUUID()}</MessageId></PublishResult>` };
    }
    return { error: 'InvalidAction', message: `The local SNS implements CreatePlatformEndpoint, Publish and DeleteEndpoint, not ${action}.` };
  }
}
