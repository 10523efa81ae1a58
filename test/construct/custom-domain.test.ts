/** The `customDomain` prop: the domain, its mapping to the stage, its DNS record, the URLs, and what is refused. */
import { App, Stack } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { CustomDomainOptions, RealtimeNotifications } from '../../lib';
import { ensureHandlerAssets } from './handler-assets';
import { allStatements, environmentOf, flatten, resourceNamed, synth, TEST_AUTH } from './synth';

const DOMAIN = 'notifications.example.com';
const CERTIFICATE_ARN = 'arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555';

/** A zone for example.com and a DNS-validated certificate for the domain, defined in the stack. */
function domainIn(stack: Stack, withZone = true): CustomDomainOptions {
  const hostedZone = new route53.PublicHostedZone(stack, 'Zone', { zoneName: 'example.com' });
  const certificate = new acm.Certificate(stack, 'Certificate', {
    domainName: DOMAIN, validation: acm.CertificateValidation.fromDns(hostedZone),
  });
  return { domainName: DOMAIN, certificate, hostedZone: withZone ? hostedZone : undefined };
}

describe('with a custom domain and its hosted zone', () => {
  const { template, stack, notifications } = synth({}, (s) => ({ customDomain: domainIn(s) }));
  const id = (type: string, prefix: string) => resourceNamed(template, type, prefix).id;
  const domain = id('AWS::ApiGatewayV2::DomainName', 'NotificationsDomainName');

  test('the domain is regional, with the certificate and the TLS 1.2 security policy', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::DomainName', {
      DomainName: DOMAIN,
      DomainNameConfigurations: [{
        CertificateArn: { Ref: id('AWS::CertificateManager::Certificate', 'Certificate') },
        EndpointType: 'REGIONAL',
        SecurityPolicy: 'TLS_1_2',
      }],
    });
  });

  test('the domain\'s root maps to the stage, once the stage exists', () => {
    const mappings = Object.values(template.findResources('AWS::ApiGatewayV2::ApiMapping'));
    expect(mappings.map((m) => m.Properties)).toEqual([{
      ApiId: { Ref: id('AWS::ApiGatewayV2::Api', 'NotificationsWebSocketApi') },
      DomainName: { Ref: domain },
      Stage: 'prod',
    }]);
    expect(mappings[0].DependsOn).toContain(id('AWS::ApiGatewayV2::Stage', 'NotificationsStage'));
  });

  test('an alias A record in the zone points the domain at the API\'s regional endpoint', () => {
    const records = Object.values(template.findResources('AWS::Route53::RecordSet'))
      .filter((r) => r.Properties.Type === 'A');
    expect(records.map((r) => r.Properties)).toEqual([{
      Name: `${DOMAIN}.`,
      Type: 'A',
      HostedZoneId: { Ref: id('AWS::Route53::HostedZone', 'Zone') },
      AliasTarget: {
        DNSName: { 'Fn::GetAtt': [domain, 'RegionalDomainName'] },
        HostedZoneId: { 'Fn::GetAtt': [domain, 'RegionalHostedZoneId'] },
      },
    }]);
  });

  test('webSocketUrl is the domain, without a stage path', () => {
    expect(stack.resolve(notifications.webSocketUrl)).toBe(`wss://${DOMAIN}`);
    expect(stack.resolve(notifications.domainName!.name)).toEqual({ Ref: domain });
  });

  test('the deliver function keeps posting through the execute-api URL of the stage', () => {
    const apiId = id('AWS::ApiGatewayV2::Api', 'NotificationsWebSocketApi');
    const executeApi = `https://<${apiId}>.execute-api.<AWS::Region>.<AWS::URLSuffix>/prod`;
    expect(flatten(stack.resolve(notifications.callbackUrl))).toBe(executeApi);
    expect(flatten(environmentOf(template, 'Deliver').CALLBACK_URL)).toBe(executeApi);
  });

  test('IAM is the same as without the domain', () => {
    expect(allStatements(template)).toEqual(allStatements(synth().template));
  });
});

describe('without a hosted zone', () => {
  const { template, stack, notifications } = synth({}, (s) => ({ customDomain: domainIn(s, false) }));

  test('creates no record, and exposes the target for one', () => {
    expect(Object.values(template.findResources('AWS::Route53::RecordSet')).filter((r) => r.Properties.Type === 'A')).toEqual([]);
    const domain = resourceNamed(template, 'AWS::ApiGatewayV2::DomainName', 'NotificationsDomainName').id;
    expect(stack.resolve(notifications.domainName!.regionalDomainName)).toEqual({ 'Fn::GetAtt': [domain, 'RegionalDomainName'] });
    expect(stack.resolve(notifications.webSocketUrl)).toBe(`wss://${DOMAIN}`);
  });
});

test('without a custom domain there is no domain, mapping or record', () => {
  const { template, notifications } = synth();
  for (const type of ['AWS::ApiGatewayV2::DomainName', 'AWS::ApiGatewayV2::ApiMapping', 'AWS::Route53::RecordSet']) {
    template.resourceCountIs(type, 0);
  }
  expect(notifications.domainName).toBeUndefined();
});

describe('refuses at synth', () => {
  /** The construct in a stack bound to eu-west-1, with `custom` over a valid imported domain. */
  const build = (custom: (stack: Stack) => Partial<CustomDomainOptions>) => () => {
    ensureHandlerAssets();
    const stack = new Stack(new App(), 'Test', { env: { account: '123456789012', region: 'eu-west-1' } });
    new RealtimeNotifications(stack, 'Notifications', {
      auth: TEST_AUTH(),
      customDomain: {
        domainName: DOMAIN,
        certificate: acm.Certificate.fromCertificateArn(stack, 'Certificate', CERTIFICATE_ARN),
        ...custom(stack),
      },
    });
  };

  test('a valid domain passes', () => {
    expect(build(() => ({}))).not.toThrow();
  });

  test.each([
    'wss://notifications.example.com',
    'notifications.example.com/prod',
    'notifications.example.com:443',
    'Notifications.example.com',
    'notifications.example.com.',
    '*.example.com',
    'localhost',
    '-notifications.example.com',
    'notifications_1.example.com',
  ])('the domain name %j', (domainName) => {
    expect(build(() => ({ domainName }))).toThrow(
      `invalid \`customDomain.domainName\`: ${JSON.stringify(domainName)} is not a host name such as notifications.example.com. `
      + 'Give the lowercase host name only: no scheme (wss://), path, port, trailing dot or wildcard.');
  });

  test('a certificate from another region', () => {
    expect(build((stack) => ({
      certificate: acm.Certificate.fromCertificateArn(stack, 'UsEast1', CERTIFICATE_ARN.replace('eu-west-1', 'us-east-1')),
    }))).toThrow('invalid `customDomain.certificate`: it is in us-east-1, but the domain is a regional endpoint in eu-west-1. '
      + 'Use a certificate issued or imported in ACM in eu-west-1.');
  });

  test('something that is not an ACM certificate ARN', () => {
    expect(build((stack) => ({
      certificate: acm.Certificate.fromCertificateArn(stack, 'NotAcm', 'arn:aws:iam::123456789012:server-certificate/x'),
    }))).toThrow(/invalid `customDomain.certificate`: "arn:aws:iam::123456789012:server-certificate\/x" is not an ACM certificate ARN/);
  });

  test.each([
    [['other.example.com'], 'other.example.com'],
    [['*.notifications.example.com', 'example.com'], '*.notifications.example.com, example.com'],
    [['*.com'], '*.com'],
  ])('a certificate for %j', (names, listed) => {
    expect(build((stack) => ({
      certificate: new acm.Certificate(stack, 'Other', { domainName: names[0], subjectAlternativeNames: names.slice(1) }),
    }))).toThrow(`invalid \`customDomain.certificate\`: it is for ${listed}, which does not cover ${DOMAIN}. `
      + `Use a certificate whose domain name or subject alternative names include ${DOMAIN} (or *.example.com).`);
  });

  test.each([[['*.example.com']], [['example.com', 'notifications.example.com']], [['NOTIFICATIONS.example.com']]])(
    'but not a certificate for %j, which covers the domain', (names) => {
      expect(build((stack) => ({
        certificate: new acm.Certificate(stack, 'Covering', { domainName: names[0], subjectAlternativeNames: names.slice(1) }),
      }))).not.toThrow();
    });

  test('a hosted zone of another domain', () => {
    expect(build((stack) => ({
      hostedZone: route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId: 'Z1', zoneName: 'example.org' }),
    }))).toThrow(`invalid \`customDomain.hostedZone\`: ${DOMAIN} is not in the zone example.org. `
      + `Give the hosted zone of ${DOMAIN} (or of one of its parent domains).`);
  });

  test('a hosted zone imported without its name', () => {
    expect(build((stack) => ({ hostedZone: route53.HostedZone.fromHostedZoneId(stack, 'Zone', 'Z1') })))
      .toThrow('invalid `customDomain.hostedZone`: it was imported without its zone name, which the alias record needs. '
        + 'Import it with HostedZone.fromHostedZoneAttributes(this, id, { hostedZoneId, zoneName }).');
  });

  test('a missing certificate', () => {
    expect(build(() => ({ certificate: undefined }))).toThrow(/invalid `customDomain.certificate`: it is missing/);
  });
});
