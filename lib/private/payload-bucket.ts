/**
 * The payload bucket: where payloads too large for a WebSocket frame are kept for clients to
 * fetch through presigned URLs. Private (every public access blocked), SSL only, encrypted with
 * the construct's key when it has one, and emptied by a lifecycle rule once no history can refer
 * to an object any longer.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { PAYLOAD_PREFIX } from './runtime-contract';

export interface PayloadBucketProps {
  readonly encryptionKey?: kms.IKey;
  readonly removalPolicy: RemovalPolicy;
  /** The longest history retention: objects a kept notification refers to live a day longer. */
  readonly expiresAfterSeconds: number;
}

const DAY_SECONDS = 24 * 60 * 60;

export function createPayloadBucket(scope: Construct, id: string, props: PayloadBucketProps): s3.Bucket {
  return new s3.Bucket(scope, id, {
    ...(props.encryptionKey
      ? { encryption: s3.BucketEncryption.KMS, encryptionKey: props.encryptionKey, bucketKeyEnabled: true }
      : { encryption: s3.BucketEncryption.S3_MANAGED }),
    enforceSSL: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    removalPolicy: props.removalPolicy,
    lifecycleRules: [{
      prefix: PAYLOAD_PREFIX,
      expiration: Duration.days(Math.ceil(props.expiresAfterSeconds / DAY_SECONDS) + 1),
      abortIncompleteMultipartUploadAfter: Duration.days(1),
    }],
    // Browsers fetch payloads across origins with presigned URLs, which are the credential: a GET
    // from any page that holds one is what the URL is for.
    cors: [{ allowedMethods: [s3.HttpMethods.GET, s3.HttpMethods.HEAD], allowedOrigins: ['*'], maxAge: 3600 }],
  });
}
