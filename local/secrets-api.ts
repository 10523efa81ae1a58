/**
 * A local stand-in for Secrets Manager's `GetSecretValue` (AWS JSON 1.1, `X-Amz-Target:
 * secretsmanager.GetSecretValue`), so the deliver bundle reads its VAPID keys as in AWS.
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, sendJson } from './http';

const TARGET = 'secretsmanager.GetSecretValue';

/** Answers GetSecretValue from `secrets` (by ARN or name); false for any other request. */
export function handleSecretsRequest(req: IncomingMessage, res: ServerResponse, secrets: ReadonlyMap<string, string>): boolean {
  if (req.method !== 'POST' || req.headers['x-amz-target'] !== TARGET) return false;
  void (async () => {
    const { SecretId } = JSON.parse(await readBody(req, 64 * 1024)) as { SecretId?: string };
    const value = SecretId === undefined ? undefined : secrets.get(SecretId);
    const type = 'application/x-amz-json-1.1';
    if (value === undefined) {
      sendJson(res, 400, { __type: 'ResourceNotFoundException', message: 'Secrets Manager can\'t find the specified secret.' }, type);
    } else {
      sendJson(res, 200, { ARN: SecretId, Name: SecretId, SecretString: value, VersionId: 'local', VersionStages: ['AWSCURRENT'], CreatedDate: 0 }, type);
    }
  })().catch(() => sendJson(res, 400, { __type: 'ValidationException', message: 'Invalid request.' }, 'application/x-amz-json-1.1'));
  return true;
}
