import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CognitoTokenUse, ConnectionAuth } from '../../lib';
import { environmentOf, flatten, functionNamed, resourceNamed, synth } from './synth';

const connectRoute = (template: Template) => Object.values(template.findResources('AWS::ApiGatewayV2::Route'))
  .find((r) => r.Properties.RouteKey === '$connect')!.Properties;

describe('cognito', () => {
  test('the bundled authorizer verifies tokens of the pool and its clients, access tokens by default', () => {
    const { template } = synth({}, (stack) => {
      const pool = new cognito.UserPool(stack, 'Pool');
      return { auth: ConnectionAuth.cognito({ userPool: pool, userPoolClients: [pool.addClient('Web'), pool.addClient('Mobile')] }) };
    });
    const env = environmentOf(template, 'Authorizer');
    expect(env).toMatchObject({
      AUTH_MODE: 'cognito',
      AUTH_USER_POOL_ID: { Ref: resourceNamed(template, 'AWS::Cognito::UserPool', 'Pool').id },
      AUTH_TOKEN_USE: 'access',
      AUTH_USER_ID_CLAIM: 'sub',
    });
    expect(flatten(env.AUTH_CLIENT_IDS)).toBe(`<${resourceNamed(template, 'AWS::Cognito::UserPoolClient', 'PoolWeb').id}>,<${
      resourceNamed(template, 'AWS::Cognito::UserPoolClient', 'PoolMobile').id}>`);
    expect(connectRoute(template).AuthorizationType).toBe('CUSTOM');
  });

  test('without clients any client of the pool is accepted; tokenUse picks ID tokens', () => {
    const { template } = synth({}, (stack) => ({
      auth: ConnectionAuth.cognito({ userPool: new cognito.UserPool(stack, 'Pool'), tokenUse: CognitoTokenUse.ID }),
    }));
    const env = environmentOf(template, 'Authorizer');
    expect(env.AUTH_CLIENT_IDS).toBeUndefined();
    expect(env.AUTH_TOKEN_USE).toBe('id');
  });

  test('an empty client list is refused', () => {
    expect(() => synth({}, (stack) => ({
      auth: ConnectionAuth.cognito({ userPool: new cognito.UserPool(stack, 'Pool'), userPoolClients: [] }),
    }))).toThrow(/invalid `auth.userPoolClients`: the list is empty/);
  });
});

describe('jwt', () => {
  test('issuer, audiences, JWKS and user id claim reach the authorizer', () => {
    const { template } = synth({
      auth: ConnectionAuth.jwt({
        issuer: 'https://login.example.com/',
        audience: ['web', 'mobile'],
        jwksUri: 'https://keys.example.com/jwks',
        userIdClaim: 'email',
      }),
    });
    expect(environmentOf(template, 'Authorizer')).toMatchObject({
      AUTH_MODE: 'jwt',
      AUTH_ISSUER: 'https://login.example.com/',
      AUTH_AUDIENCE: 'web,mobile',
      AUTH_JWKS_URI: 'https://keys.example.com/jwks',
      AUTH_USER_ID_CLAIM: 'email',
    });
  });

  test('the JWKS URI defaults to the issuer\'s well-known path', () => {
    const { template } = synth({ auth: ConnectionAuth.jwt({ issuer: 'https://login.example.com/', audience: ['a'] }) });
    expect(environmentOf(template, 'Authorizer').AUTH_JWKS_URI).toBe('https://login.example.com/.well-known/jwks.json');
  });

  test.each<[string, () => ConnectionAuth, RegExp]>([
    ['an http issuer', () => ConnectionAuth.jwt({ issuer: 'http://login.example.com', audience: ['a'] }), /invalid `auth.issuer`: "http:\/\/login.example.com" is not an https:\/\/ URL/],
    ['a non-URL issuer', () => ConnectionAuth.jwt({ issuer: 'login.example.com', audience: ['a'] }), /invalid `auth.issuer`/],
    ['an http JWKS URI', () => ConnectionAuth.jwt({ issuer: 'https://a.example.com', audience: ['a'], jwksUri: 'http://a.example.com/k' }), /invalid `auth.jwksUri`/],
    ['no audience', () => ConnectionAuth.jwt({ issuer: 'https://a.example.com', audience: [] }), /invalid `auth.audience`: the list is empty/],
    ['a blank audience', () => ConnectionAuth.jwt({ issuer: 'https://a.example.com', audience: ['a', ' '] }), /invalid `auth.audience\[1\]`: it is empty/],
    ['an audience with a comma', () => ConnectionAuth.jwt({ issuer: 'https://a.example.com', audience: ['a,b'] }), /invalid `auth.audience\[0\]`: "a,b" contains a comma/],
    ['a blank user id claim', () => ConnectionAuth.jwt({ issuer: 'https://a.example.com', audience: ['a'], userIdClaim: '' }), /invalid `auth.userIdClaim`/],
  ])('%s is refused', (_name, make, message) => {
    expect(make).toThrow(message);
  });
});

describe('lambda', () => {
  test('your function authorizes $connect, with no identity source (it reads the token itself); no bundled authorizer is deployed', () => {
    const { template, notifications } = synth({}, (stack) => {
      const mine = new lambda.Function(stack, 'MyAuthorizer', {
        runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler=async()=>({})'),
      });
      return { auth: ConnectionAuth.lambda(mine) };
    });
    const mine = resourceNamed(template, 'AWS::Lambda::Function', 'MyAuthorizer').id;
    expect(() => functionNamed(template, 'Authorizer')).toThrow();
    const authorizer = Object.values(template.findResources('AWS::ApiGatewayV2::Authorizer'))[0].Properties;
    expect(authorizer.IdentitySource).toEqual([]);
    expect(flatten(authorizer.AuthorizerUri)).toContain(`<${mine}.Arn>`);
    expect(connectRoute(template).AuthorizationType).toBe('CUSTOM');
    expect(notifications.authorizerFunction).toBeDefined();
    template.hasResourceProperties('AWS::Lambda::Permission', {
      FunctionName: { 'Fn::GetAtt': [mine, 'Arn'] }, Principal: 'apigateway.amazonaws.com',
    });
  });
});

describe('none', () => {
  const { template, stack, notifications } = synth({ auth: ConnectionAuth.none() });

  test('$connect is open and no authorizer exists', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 0);
    expect(connectRoute(template).AuthorizationType).toBe('NONE');
    expect(notifications.authorizerFunction).toBeUndefined();
  });

  test('stands out: a synth warning, and cdk-nag flags the open $connect route', () => {
    Annotations.fromStack(stack).hasWarning('/Test/Notifications',
      Match.stringLikeRegexp('ConnectionAuth.none\\(\\): anyone who knows the URL can connect'));
    const report = new AwsSolutionsChecks().validateScope(stack);
    const apig4 = report.violations.find((v) => v.ruleName === 'AwsSolutions-APIG4')!;
    expect(apig4.violatingResources.map((r) => r.constructPath)).toContain('Test/Notifications/WebSocketApi/$connect-Route/Resource');
  });

  test('authenticated choices raise no warning', () => {
    const { stack: other } = synth();
    Annotations.fromStack(other).hasNoWarning('*', Match.anyValue());
  });
});
