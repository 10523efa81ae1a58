/**
 * One Lambda function per bundle in assets/: its own role (no managed policies, only what the
 * construct grants it), its own log group, and the environment the runtime contract defines.
 */
import * as path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { handlerEnvironment, RuntimeSettings } from './handlers';
import { HandlerName } from './runtime-contract';

/** Where the pre-built bundles live: <package root>/assets/<name>/index.js. */
export const ASSETS_DIR = path.join(__dirname, '..', '..', 'assets');

export interface HandlerFunctionSpec {
  readonly name: HandlerName;
  readonly description: string;
  readonly settings: RuntimeSettings;
  readonly timeout: Duration;
  readonly memorySize: number;
  readonly architecture: lambda.Architecture;
  readonly logRetention: logs.RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
  /** Encrypts the log group (the key must allow CloudWatch Logs). */
  readonly logEncryptionKey?: kms.IKey;
}

export function createHandlerFunction(scope: Construct, id: string, o: HandlerFunctionSpec): lambda.Function {
  const role = new iam.Role(scope, `${id}Role`, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: `Runs the ${o.name} function of ${o.settings.serviceName}`,
  });
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
    retention: o.logRetention,
    removalPolicy: o.logRemovalPolicy,
    encryptionKey: o.logEncryptionKey,
  });
  logGroup.grantWrite(role);
  return new lambda.Function(scope, id, {
    description: o.description,
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: o.architecture,
    memorySize: o.memorySize,
    timeout: o.timeout,
    code: lambda.Code.fromAsset(path.join(ASSETS_DIR, o.name)),
    handler: 'index.handler',
    role,
    logGroup,
    environment: handlerEnvironment(o.name, o.settings),
  });
}
