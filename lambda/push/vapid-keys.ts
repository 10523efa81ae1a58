/**
 * The VAPID keys, read from Secrets Manager on the first push and kept for the instance's life
 * (a failed read is tried again on the next push). The secret's value is JSON
 * {"publicKey", "privateKey", "subject"}; anything else fails the push with a message saying so.
 */
import type { VapidKeys } from './web-push-sender';

export function vapidKeysFromSecret(secretId: string): () => Promise<VapidKeys> {
  let keys: Promise<VapidKeys> | undefined;
  return () => {
    keys ??= readSecret(secretId).then(parseVapidKeys);
    keys.catch(() => { keys = undefined; });
    return keys;
  };
}

async function readSecret(secretId: string): Promise<string> {
  // Loaded on first use: the SDK client only in instances that push.
  const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  const { SecretString } = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: secretId }));
  if (SecretString === undefined) throw new Error('The VAPID secret has no SecretString; store the keys as JSON text.');
  return SecretString;
}

export function parseVapidKeys(text: string): VapidKeys {
  let value: Record<string, unknown> | undefined;
  try {
    value = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // answered below
  }
  const { publicKey, privateKey, subject } = value ?? {};
  if (typeof publicKey !== 'string' || typeof privateKey !== 'string' || typeof subject !== 'string') {
    throw new Error('The VAPID secret must be JSON {"publicKey": "…", "privateKey": "…", "subject": "mailto:you@example.com"} '
      + '(keys as `npx web-push generate-vapid-keys` prints them).');
  }
  return { publicKey, privateKey, subject };
}
