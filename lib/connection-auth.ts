import { Token } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { ConnectionAuthConfig } from './private/connection-auth-config';
import { DEFAULT_USER_ID_CLAIM } from './private/runtime-contract';
import { checkHttpsUrl, checkPattern, invalidProp } from './private/validation';

/**
 * Which Cognito token the `$connect` authorizer accepts.
 */
export enum CognitoTokenUse {
  /**
   * Access tokens: what Cognito issues for authorizing calls to APIs, and what a WebSocket client
   * should send.
   */
  ACCESS = 'access',
  /** ID tokens: carry the user's profile claims, for the app that signed the user in. */
  ID = 'id',
}

/**
 * Options of `ConnectionAuth.cognito()`.
 */
export interface CognitoConnectionAuthOptions {
  /**
   * The user pool whose tokens open connections.
   */
  readonly userPool: cognito.IUserPool;

  /**
   * The app clients whose tokens are accepted.
   *
   * @default - tokens of any app client of the user pool
   */
  readonly userPoolClients?: cognito.IUserPoolClient[];

  /**
   * Which token the client sends (in the `token` query-string parameter or a `token.<JWT>`
   * subprotocol): the user's access token (as Cognito recommends for API authorization), or its ID token.
   *
   * @default CognitoTokenUse.ACCESS
   */
  readonly tokenUse?: CognitoTokenUse;
}

/**
 * Options of `ConnectionAuth.jwt()`.
 */
export interface JwtConnectionAuthOptions {
  /**
   * The token issuer (`iss` claim), an https:// URL, for example `https://example.auth0.com/`.
   */
  readonly issuer: string;

  /**
   * Accepted audiences (`aud` claim). A token must name at least one of them.
   */
  readonly audience: string[];

  /**
   * Where the issuer publishes its signing keys (an https:// URL).
   *
   * @default - `${issuer}/.well-known/jwks.json`
   */
  readonly jwksUri?: string;

  /**
   * The claim that names the user. Its value becomes the connection's user id, which
   * user-targeted notifications and `{userId}` topic rules use. Any string works (`auth0|abc123`,
   * non-ASCII names, URLs); topics spell characters they cannot hold as percent-escapes, and a
   * token whose id would be longer than 512 characters so written is refused.
   *
   * @default "sub"
   */
  readonly userIdClaim?: string;
}

/**
 * How clients authenticate when they open a WebSocket connection.
 *
 * Browsers cannot set headers on a WebSocket, so the client sends its token either as a
 * subprotocol, `new WebSocket(url, ['realtime.v1', 'token.<JWT>'])`, which keeps it out of URLs
 * and logs, or in the `token` query-string parameter, `wss://…/prod?token=<JWT>`. A Lambda
 * REQUEST authorizer on the `$connect` route verifies it and refuses a connection without a
 * valid token with 401; `$connect` answers with the `realtime.v1` subprotocol (never the token).
 */
export abstract class ConnectionAuth {
  /**
   * Accept tokens issued by an Amazon Cognito user pool. The connection's user id is the
   * token's `sub` claim.
   */
  public static cognito(options: CognitoConnectionAuthOptions): ConnectionAuth {
    return new CognitoAuth(options);
  }

  /**
   * Accept JWTs from any OpenID Connect issuer (Auth0, Okta, Entra ID, Keycloak…), verified
   * against the issuer's published signing keys (JWKS).
   */
  public static jwt(options: JwtConnectionAuthOptions): ConnectionAuth {
    return new JwtAuth(options);
  }

  /**
   * Use your own Lambda REQUEST authorizer on `$connect`.
   *
   * The authorizer has no identity source, so the function is called for every handshake and
   * finds the token itself: in the `token` query-string parameter, or in the
   * `Sec-WebSocket-Protocol` header as the entry that starts with `token.`. It must refuse
   * (throw `Unauthorized`) when there is none. It must answer with an IAM policy that allows
   * `execute-api:Invoke` on the `$connect` route and must put the user id in the authorizer
   * context under the key `userId`; user-targeted notifications and `{userId}` topic rules rely
   * on it. A connection whose user id is longer than 512 characters written as a topic segment,
   * or has control characters, is refused by `$connect`.
   */
  public static lambda(handler: lambda.IFunction): ConnectionAuth {
    return new LambdaAuth(handler);
  }

  /**
   * No authentication: anyone who knows the URL may connect, and connections have no user id.
   * For demos only; the construct reports a warning, and cdk-nag reports the `$connect` route
   * as unauthorized (AwsSolutions-APIG4).
   */
  public static none(): ConnectionAuth {
    return new NoAuth();
  }

  /** @internal */
  public abstract _bind(): ConnectionAuthConfig;
}

class CognitoAuth extends ConnectionAuth {
  constructor(private readonly options: CognitoConnectionAuthOptions) {
    super();
    if (options.userPoolClients !== undefined && options.userPoolClients.length === 0) {
      throw invalidProp('auth.userPoolClients', 'the list is empty, so no token could ever be accepted',
        'List the app clients whose tokens may connect, or leave it unset to accept any client of the pool.');
    }
  }

  public _bind(): ConnectionAuthConfig {
    return {
      unauthenticated: false,
      authorizerSettings: {
        mode: 'cognito',
        userPoolId: this.options.userPool.userPoolId,
        clientIds: this.options.userPoolClients?.map((client) => client.userPoolClientId),
        tokenUse: this.options.tokenUse ?? CognitoTokenUse.ACCESS,
        userIdClaim: DEFAULT_USER_ID_CLAIM,
      },
    };
  }
}

class JwtAuth extends ConnectionAuth {
  constructor(private readonly options: JwtConnectionAuthOptions) {
    super();
    checkHttpsUrl('auth.issuer', options.issuer);
    checkHttpsUrl('auth.jwksUri', options.jwksUri);
    if (Token.isUnresolved(options.audience)) {
      throw invalidProp('auth.audience', 'it is a list token (such as a CommaDelimitedList parameter), which cannot be joined at synth time',
        'Give the audiences as a list of strings; each entry may itself be a token.');
    }
    if (options.audience.length === 0) {
      throw invalidProp('auth.audience', 'the list is empty', 'List the audiences (`aud` values) your tokens are issued for.');
    }
    options.audience.forEach((aud, i) => {
      if (Token.isUnresolved(aud)) return;
      if (aud.trim() === '') {
        throw invalidProp(`auth.audience[${i}]`, 'it is empty', 'Give the exact `aud` value of your tokens.');
      }
      if (aud.includes(',')) {
        throw invalidProp(`auth.audience[${i}]`, `${JSON.stringify(aud)} contains a comma`,
          'Give each audience as its own list entry.');
      }
    });
    checkPattern('auth.userIdClaim', options.userIdClaim, /^[\x21-\x7e]{1,256}$/, 'a claim name such as "sub" or "email"');
  }

  public _bind(): ConnectionAuthConfig {
    return {
      unauthenticated: false,
      authorizerSettings: {
        mode: 'jwt',
        issuer: this.options.issuer,
        audience: this.options.audience,
        jwksUri: this.options.jwksUri ?? defaultJwksUri(this.options.issuer),
        userIdClaim: this.options.userIdClaim ?? DEFAULT_USER_ID_CLAIM,
      },
    };
  }
}

class LambdaAuth extends ConnectionAuth {
  constructor(private readonly handler: lambda.IFunction) {
    super();
  }

  public _bind(): ConnectionAuthConfig {
    return { unauthenticated: false, userAuthorizer: this.handler };
  }
}

class NoAuth extends ConnectionAuth {
  public _bind(): ConnectionAuthConfig {
    return { unauthenticated: true };
  }
}

function defaultJwksUri(issuer: string): string {
  const base = Token.isUnresolved(issuer) ? issuer : issuer.replace(/\/+$/, '');
  return `${base}/.well-known/jwks.json`;
}
