/**
 * How API Gateway reads a REQUEST authorizer's answer: an IAM policy that must allow
 * `execute-api:Invoke` on the method ARN (an explicit Deny wins), and a context whose values must
 * be strings, numbers or booleans. Pure.
 */
import { isJsonObject } from '../../lib/private/json-object';
import { AuthorizerContext } from './events';

export type AuthorizerVerdict =
  | { readonly allowed: true; readonly context: AuthorizerContext }
  /** `status` is what API Gateway answers the handshake with: 403 for a denial, 500 for a malformed answer. */
  | { readonly allowed: false; readonly status: 403 | 500; readonly reason: string };

interface Statement {
  Effect?: unknown;
  Action?: unknown;
  Resource?: unknown;
}

export function evaluateAuthorizerResult(result: unknown, methodArn: string): AuthorizerVerdict {
  if (!isJsonObject(result)) return malformed('the authorizer returned no policy object');
  const principalId = result.principalId;
  if (typeof principalId !== 'string' || principalId === '') return malformed('principalId is missing');
  const policy = result.policyDocument;
  if (!isJsonObject(policy) || !Array.isArray(policy.Statement)) return malformed('policyDocument.Statement is missing');

  const matching = (policy.Statement as Statement[]).filter((s) => isJsonObject(s)
    && listOf(s.Action).some((action) => wildcardMatch(action, 'execute-api:Invoke'))
    && listOf(s.Resource).some((resource) => wildcardMatch(resource, methodArn)));
  if (matching.some((s) => s.Effect === 'Deny')) return { allowed: false, status: 403, reason: 'the policy denies this method' };
  if (!matching.some((s) => s.Effect === 'Allow')) return { allowed: false, status: 403, reason: 'the policy does not allow this method' };

  const context: AuthorizerContext = {};
  if (result.context !== undefined && result.context !== null) {
    if (!isJsonObject(result.context)) return malformed('context must be an object');
    for (const [key, value] of Object.entries(result.context)) {
      if (!['string', 'number', 'boolean'].includes(typeof value)) {
        return malformed(`context.${key} must be a string, number or boolean`);
      }
      context[key] = value as string | number | boolean;
    }
  }
  return { allowed: true, context: { ...context, principalId } };
}

function malformed(reason: string): AuthorizerVerdict {
  return { allowed: false, status: 500, reason };
}

function listOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** IAM-style matching: `*` any run of characters, `?` one character. */
export function wildcardMatch(pattern: string, value: string): boolean {
  const regex = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${regex}$`).test(value);
}
