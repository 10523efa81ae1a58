/**
 * DynamoDB faults the local engines cannot produce on demand (throttling, partially processed
 * batches), injected at the HTTP layer in front of the real engine so the real SDK code (retry
 * strategy, deserialisers) handles them.
 */
import { Readable } from 'node:stream';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import type { HttpRequest } from '@smithy/types';

export interface InjectedFault {
  readonly statusCode: number;
  /** DynamoDB's `__type` short name, e.g. ThrottlingException. */
  readonly type: string;
  readonly message: string;
}

/** Decides, per request, whether to answer with a fault instead of forwarding it. */
export type DynamoFaultPlan = (operation: string, body: Record<string, unknown>) => InjectedFault | undefined;

/** Rewrites the engine's answer to an operation before the SDK sees it. */
export type DynamoResponseRewrite = (operation: string, requestBody: Record<string, unknown>, responseBody: Record<string, unknown>) => Record<string, unknown>;

export class FaultyDynamoHandler {
  readonly metadata = { handlerProtocol: 'http/1.1' };
  readonly calls: string[] = [];
  private readonly inner = new NodeHttpHandler();

  constructor(private readonly faults: DynamoFaultPlan, private readonly rewrite?: DynamoResponseRewrite) {}

  async handle(request: HttpRequest, options?: { abortSignal?: AbortSignal }) {
    const operation = String(request.headers['x-amz-target'] ?? '').split('.').pop() ?? '';
    const requestBody = JSON.parse(bodyText(request.body)) as Record<string, unknown>;
    this.calls.push(operation);
    const fault = this.faults(operation, requestBody);
    if (fault) {
      return { response: jsonResponse(fault.statusCode, { __type: `com.amazonaws.dynamodb.v20120810#${fault.type}`, message: fault.message }) };
    }
    const answer = await this.inner.handle(request as never, options as never);
    if (!this.rewrite || answer.response.statusCode !== 200) return answer;
    const text = await readAll(answer.response.body as Readable);
    const rewritten = this.rewrite(operation, requestBody, JSON.parse(text) as Record<string, unknown>);
    return { response: jsonResponse(200, rewritten) };
  }

  /** This handler, typed for the client's `requestHandler` option. */
  get asRequestHandler(): NonNullable<DynamoDBClientConfig['requestHandler']> {
    return this as unknown as NonNullable<DynamoDBClientConfig['requestHandler']>;
  }

  updateHttpClientConfig(): void {}
  httpHandlerConfigs(): Record<string, never> {
    return {};
  }
  destroy(): void {
    this.inner.destroy();
  }
}

function jsonResponse(statusCode: number, body: unknown) {
  const text = JSON.stringify(body);
  return {
    statusCode,
    reason: undefined,
    headers: { 'content-type': 'application/x-amz-json-1.0', 'content-length': String(Buffer.byteLength(text)) },
    body: Readable.from([Buffer.from(text)]),
  };
}

function bodyText(body: unknown): string {
  if (body === undefined || body === null) return '{}';
  if (typeof body === 'string') return body;
  const bytes = body as Uint8Array;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}
