import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AuthSettings } from './runtime-contract';

/** What the construct deploys for a choice of `ConnectionAuth`. */
export interface ConnectionAuthConfig {
  /** Settings for the bundled authorizer (assets/authorizer); absent when it is not used. */
  readonly authorizerSettings?: AuthSettings;
  /** The user's own REQUEST authorizer function. */
  readonly userAuthorizer?: lambda.IFunction;
  /** True when `$connect` is left open (demos only). */
  readonly unauthenticated: boolean;
}
