/**
 * Signs @connections requests with Signature Version 4, using the AWS SDK's own signer and the
 * credentials Lambda puts in the function's environment (the execution role's, as
 * AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN).
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';
import { doesIdentityRequireRefresh, isIdentityExpired, memoizeIdentityProvider } from '@smithy/core';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { optionalEnv } from '../runtime/env';

/** The signing name of API Gateway's @connections (management) API. */
const EXECUTE_API_SERVICE = 'execute-api';

export interface RequestSignerOptions {
  /** @default the AWS_REGION variable Lambda sets */
  readonly region?: string;
  /** @default the environment's credentials, read once and again only when they are about to expire */
  readonly credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
}

export function createRequestSigner(options: RequestSignerOptions = {}): SignatureV4 {
  const region = options.region ?? optionalEnv('AWS_REGION');
  if (!region) {
    throw new Error('AWS_REGION is not set: it names the region whose @connections API is called. Lambda sets it; '
      + 'set it when running the deliver handler elsewhere.');
  }
  return new SignatureV4({
    service: EXECUTE_API_SERVICE,
    region,
    credentials: options.credentials ?? environmentCredentials(),
    sha256: Sha256,
  });
}

/** The environment's credentials, cached; refreshed only if they carry an expiration that is near. */
export function environmentCredentials(): AwsCredentialIdentityProvider {
  return memoizeIdentityProvider(fromEnv(), isIdentityExpired, doesIdentityRequireRefresh)!;
}
