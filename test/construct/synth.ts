/** Synthesizes the construct in a bare stack and reads the parts of the template tests look at. */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ConnectionAuth, RealtimeNotifications, RealtimeNotificationsProps } from '../../lib';
import { ensureHandlerAssets } from './handler-assets';

export const TEST_AUTH = (): ConnectionAuth => ConnectionAuth.jwt({
  issuer: 'https://issuer.example.com',
  audience: ['notifications'],
});

export interface Synthesized {
  readonly stack: Stack;
  readonly notifications: RealtimeNotifications;
  readonly template: Template;
}

/**
 * A stack holding one construct (id `Notifications`), with `props` over a test auth.
 * `before` may add resources the props refer to; `after` may use the construct before synthesis.
 */
export function synth(
  props: Partial<RealtimeNotificationsProps> = {},
  before?: (stack: Stack) => Partial<RealtimeNotificationsProps>,
  after?: (stack: Stack, notifications: RealtimeNotifications) => void,
): Synthesized {
  ensureHandlerAssets();
  const app = new App();
  const stack = new Stack(app, 'Test');
  const extra = before ? before(stack) : {};
  const notifications = new RealtimeNotifications(stack, 'Notifications', { auth: TEST_AUTH(), ...props, ...extra });
  after?.(stack, notifications);
  return { stack, notifications, template: Template.fromStack(stack) };
}

export type Resource = { Type: string; Properties?: Record<string, any>; DeletionPolicy?: string; DependsOn?: string[] };

/** The one resource of `type` whose logical id starts with `prefix`. */
export function resourceNamed(template: Template, type: string, prefix: string): { id: string; resource: Resource } {
  const matches = Object.entries(template.findResources(type))
    .filter(([id]) => new RegExp(`^${prefix}[0-9A-F]{8}$`).test(id));
  if (matches.length !== 1) throw new Error(`expected one ${type} named ${prefix}…, found ${matches.length}`);
  return { id: matches[0][0], resource: matches[0][1] as Resource };
}

export function functionNamed(template: Template, name: string): { id: string; resource: Resource } {
  return resourceNamed(template, 'AWS::Lambda::Function', `Notifications${name}Function`);
}

export function environmentOf(template: Template, name: string): Record<string, unknown> {
  return functionNamed(template, name).resource.Properties!.Environment.Variables;
}

/**
 * A CloudFormation value as one string, the way cdk-nag prints it: Ref → `<Id>`,
 * GetAtt → `<Id.Attr>`, Fn::Join joined.
 */
export function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const v = value as Record<string, any>;
    if ('Ref' in v) return `<${v.Ref}>`;
    if ('Fn::GetAtt' in v) return `<${v['Fn::GetAtt'].join('.')}>`;
    if ('Fn::Join' in v) return (v['Fn::Join'][1] as unknown[]).map(flatten).join(v['Fn::Join'][0]);
  }
  return JSON.stringify(value);
}

export interface Statement {
  /** Logical id of the resource holding the policy. */
  readonly policy: string;
  /** `trust` for a role's assume-role policy. */
  readonly kind: 'trust' | 'permissions';
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string[];
  readonly Resource: string[];
  readonly Principal?: unknown;
  readonly Condition?: Record<string, any>;
}

/** Every statement of every policy in the template: identity policies, inline role policies, resource policies. */
export function allStatements(template: Template): Statement[] {
  const statements: Statement[] = [];
  const add = (policy: string, document: any, kind: Statement['kind'] = 'permissions') => {
    for (const s of document?.Statement ?? []) {
      statements.push({
        policy,
        kind,
        Effect: s.Effect,
        Action: toArray(s.Action),
        Resource: toArray(s.Resource).map(flatten),
        Principal: s.Principal,
        Condition: s.Condition,
      });
    }
  };
  for (const [id, r] of Object.entries(template.toJSON().Resources as Record<string, Resource>)) {
    const p = r.Properties ?? {};
    switch (r.Type) {
      case 'AWS::IAM::Policy':
      case 'AWS::IAM::ManagedPolicy':
        add(id, p.PolicyDocument);
        break;
      case 'AWS::IAM::Role':
        add(id, p.AssumeRolePolicyDocument, 'trust');
        for (const inline of p.Policies ?? []) add(id, inline.PolicyDocument);
        break;
      case 'AWS::SQS::QueuePolicy':
      case 'AWS::SNS::TopicPolicy':
        add(id, p.PolicyDocument);
        break;
      case 'AWS::KMS::Key':
        add(id, p.KeyPolicy);
        break;
      case 'AWS::Events::EventBusPolicy':
        if (p.Statement) add(id, { Statement: [p.Statement] });
        break;
    }
  }
  return statements;
}

/** Statements of the identity policy attached to one function's role. */
export function functionStatements(template: Template, name: string): Statement[] {
  const role = resourceNamed(template, 'AWS::IAM::Role', `Notifications${name}FunctionRole`).id;
  return allStatements(template).filter((s) => {
    const policy = template.toJSON().Resources[s.policy];
    return policy?.Type === 'AWS::IAM::Policy' && policy.Properties.Roles.some((r: any) => r.Ref === role);
  });
}

/** `action → resources` over a list of Allow statements. */
export function grantsOf(statements: Statement[]): Map<string, string[]> {
  const grants = new Map<string, string[]>();
  for (const s of statements.filter((x) => x.Effect === 'Allow')) {
    for (const a of s.Action) grants.set(a, [...new Set([...(grants.get(a) ?? []), ...s.Resource])].sort());
  }
  return grants;
}

function toArray<T>(v: T | T[] | undefined): T[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}
