/**
 * Reading single variables: the authorizer's configuration (auth/config.ts) and what the Lambda
 * service itself sets (AWS_REGION). Everything the construct sets for the other handlers is read
 * by lambda/runtime/settings.ts.
 */

export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new Error(`Environment variable ${name} is not set. The construct sets it; when running a handler yourself, set it too.`);
  }
  return value;
}

export function optionalEnv(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
}

/** A comma-separated list, blanks dropped. */
export function listEnv(name: string): string[] | undefined {
  const raw = optionalEnv(name);
  return raw?.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}
