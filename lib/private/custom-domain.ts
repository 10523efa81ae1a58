/**
 * A custom domain for the WebSocket API: a regional API Gateway domain (TLS 1.2) whose root maps
 * to the stage, and, given a hosted zone, the alias record that points the name at it.
 */
import { Stack, Token } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import { Construct } from 'constructs';
import type { CustomDomainOptions } from '../options';
import { invalidProp } from './validation';

const HOST_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export interface CustomDomain {
  readonly domainName: apigwv2.DomainName;
  /** `wss://<domain>`: the domain's root is the stage. */
  readonly url: string;
}

export function addCustomDomain(scope: Construct, stage: apigwv2.WebSocketStage, o: CustomDomainOptions): CustomDomain {
  const domainName = new apigwv2.DomainName(scope, 'DomainName', {
    domainName: o.domainName,
    certificate: o.certificate,
    endpointType: apigwv2.EndpointType.REGIONAL,
    securityPolicy: apigwv2.SecurityPolicy.TLS_1_2,
  });
  new apigwv2.ApiMapping(scope, 'ApiMapping', { api: stage.api, domainName, stage });
  if (o.hostedZone) {
    new route53.ARecord(scope, 'DomainRecord', {
      zone: o.hostedZone,
      recordName: o.domainName,
      target: route53.RecordTarget.fromAlias(
        new targets.ApiGatewayv2DomainProperties(domainName.regionalDomainName, domainName.regionalHostedZoneId)),
    });
  }
  return { domainName, url: `wss://${o.domainName}` };
}

/** What can be known wrong at synth: the name, the certificate's region and names, the zone. */
export function validateCustomDomain(scope: Construct, o: CustomDomainOptions | undefined): void {
  if (o === undefined) return;
  const prop = 'customDomain.domainName';
  if (o.domainName === undefined || o.certificate === undefined) {
    throw invalidProp(o.domainName === undefined ? prop : 'customDomain.certificate', 'it is missing',
      'A custom domain needs both its domainName and an ACM certificate for it.');
  }
  if (Token.isUnresolved(o.domainName)) return;
  const domain = o.domainName;
  if (!HOST_NAME.test(domain)) {
    throw invalidProp(prop, `${JSON.stringify(domain)} is not a host name such as notifications.example.com`,
      'Give the lowercase host name only: no scheme (wss://), path, port, trailing dot or wildcard.');
  }
  checkCertificate(scope, o.certificate, domain);
  if (o.hostedZone) checkHostedZone(o.hostedZone, domain);
}

function checkCertificate(scope: Construct, certificate: acm.ICertificate, domain: string): void {
  const prop = 'customDomain.certificate';
  const region = Stack.of(scope).region;
  const arn = certificate.certificateArn;
  let certificateRegion = Stack.of(certificate).region;
  if (!Token.isUnresolved(arn)) {
    const parts = /^arn:[^:]+:acm:([^:]*):[^:]*:certificate\/.+$/.exec(arn);
    if (!parts) {
      throw invalidProp(prop, `${JSON.stringify(arn)} is not an ACM certificate ARN`,
        'Give an ACM certificate, e.g. Certificate.fromCertificateArn(this, id, "arn:aws:acm:<region>:<account>:certificate/<id>").');
    }
    certificateRegion = parts[1];
  }
  if (!Token.isUnresolved(region) && !Token.isUnresolved(certificateRegion) && certificateRegion !== region) {
    throw invalidProp(prop, `it is in ${certificateRegion}, but the domain is a regional endpoint in ${region}`,
      `Use a certificate issued or imported in ACM in ${region}.`);
  }
  const names = certificateNames(certificate);
  if (names !== undefined && !names.some((name) => covers(name, domain))) {
    throw invalidProp(prop, `it is for ${names.join(', ')}, which does not cover ${domain}`,
      `Use a certificate whose domain name or subject alternative names include ${domain} (or *.${domain.split('.').slice(1).join('.')}).`);
  }
}

/** The names a certificate defined in this app is requested for, when all are known at synth. */
function certificateNames(certificate: acm.ICertificate): string[] | undefined {
  const cfn = certificate.node.defaultChild;
  if (!(cfn instanceof acm.CfnCertificate)) return undefined;
  const names = [cfn.domainName, ...(cfn.subjectAlternativeNames ?? [])];
  return names.some((n) => Token.isUnresolved(n)) ? undefined : names.map((n) => n.toLowerCase());
}

/** Whether a certificate name covers the domain: the same name, or a wildcard for exactly one more label. */
function covers(name: string, domain: string): boolean {
  if (name === domain) return true;
  return name.startsWith('*.') && domain.slice(domain.indexOf('.') + 1) === name.slice(2);
}

function checkHostedZone(zone: route53.IHostedZone, domain: string): void {
  const prop = 'customDomain.hostedZone';
  let zoneName: string;
  try {
    zoneName = zone.zoneName;
  } catch {
    throw invalidProp(prop, 'it was imported without its zone name, which the alias record needs',
      'Import it with HostedZone.fromHostedZoneAttributes(this, id, { hostedZoneId, zoneName }).');
  }
  if (Token.isUnresolved(zoneName)) return;
  const zoneDomain = zoneName.replace(/\.$/, '').toLowerCase();
  if (domain !== zoneDomain && !domain.endsWith(`.${zoneDomain}`)) {
    throw invalidProp(prop, `${domain} is not in the zone ${zoneDomain}`,
      `Give the hosted zone of ${domain} (or of one of its parent domains).`);
  }
}
