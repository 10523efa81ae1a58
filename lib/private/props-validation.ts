/**
 * Props to settings: synth-time validation of RealtimeNotificationsProps (every ranged setting
 * against its range in SETTINGS, the one the handlers parse their environment with, then the
 * rules that tie settings together) and their resolution into the settings the handlers get.
 * Errors name the prop's path, such as `delivery.shardSize`.
 */
import { Duration, Size, Token } from 'aws-cdk-lib';
import type { RealtimeNotificationsProps } from '../options';
import { hasControlCharacter } from './control-characters';
import { movedPropsIn } from './moved-props';
import { MARK_READ_DETAIL_TYPE, NOTIFICATIONS_READ_DETAIL_TYPE, PUSH_DEVICE_DETAIL_TYPE } from './protocol/inbox-event-names';
import { LIMITS } from './runtime-contract';

import { CONNECTION_CONTROL_DETAIL_TYPE } from './protocol/connection-control-events';

/** The construct's own events on the bus: backends' mark-reads, device registrations and connection control, and the construct's read announcements. */
const RESERVED_DETAIL_TYPES: readonly string[] = [MARK_READ_DETAIL_TYPE, NOTIFICATIONS_READ_DETAIL_TYPE, PUSH_DEVICE_DETAIL_TYPE, CONNECTION_CONTROL_DETAIL_TYPE];
import { RANGED_SETTINGS, RangedSettingName, ResolvedSettings, SETTINGS, SettingName, SettingSpec } from './settings';
import { allowedEndpointProblem } from './push-endpoints';
import { topicPatternProblem, USER_ID_PLACEHOLDER } from './topic-patterns';
import { TOPIC_SEPARATOR, USER_TOPIC_ROOT } from './topic-segment';
import { checkDuration, checkInteger, checkPattern, checkPositive, checkText, invalidProp } from './validation';

/** Why a range is what it is, where the bounds alone do not say. */
const RANGE_REASONS: Partial<Record<RangedSettingName, string>> = {
  'connections.ttl': ': rows must outlive the connection, which API Gateway keeps open for up to 2 hours',
  'payloads.urlExpiry': ': clients fetch a payload as its frame arrives, and replays presign a new URL, so minutes are enough',
};

const DETAIL_TYPE_RULE = '1 to 128 characters without control characters';
function isDetailType(value: string): boolean {
  const characters = [...value].length;
  return characters >= 1 && characters <= 128 && !hasControlCharacter(value);
}

export function validateProps(p: RealtimeNotificationsProps): void {
  if (p === undefined || p.auth === undefined) {
    throw invalidProp('auth', 'it is missing',
      'Choose ConnectionAuth.cognito(...), ConnectionAuth.jwt(...), ConnectionAuth.lambda(fn) or, for demos, ConnectionAuth.none().');
  }
  checkMovedProps(p);
  validateTopicRules(p);
  for (const name of RANGED_SETTINGS) checkSetting(name, propValue(p, name));
  checkPositive('throttle.rateLimit', p.throttle?.rateLimit, SETTINGS['throttle.rateLimit'].max);
  checkPattern('stageName', p.stageName, /^[A-Za-z0-9_-]{1,128}$/, '1 to 128 letters, digits, "-" or "_"');
  checkText('detailType', p.detailType, isDetailType, DETAIL_TYPE_RULE);
  checkText('clientMessages.detailType', p.clientMessages?.detailType, isDetailType, DETAIL_TYPE_RULE);
  validateDetailTypes(p);
  validateFanout(p);
  validateEventSource(p);
  validateMonitoring(p);
  validatePush(p);
}

/** The value at a prop path such as `delivery.shardSize`: a setting's name. */
function propValue(p: RealtimeNotificationsProps, path: string): unknown {
  return path.split('.').reduce<any>((value, key) => value?.[key], p);
}

/**
 * Every setting as the handlers get it, walking SETTINGS: its prop (a Duration in seconds, a Size
 * in bytes), else its default. Each deliver instance gets its share of the rate cap.
 */
export function resolveSettings(p: RealtimeNotificationsProps): ResolvedSettings {
  const resolved = Object.fromEntries((Object.keys(SETTINGS) as SettingName[]).map((name) => [name, settingValue(p, name)]));
  return {
    ...resolved,
    'delivery.maxRatePerSecond': ratePerInstance(p),
    'push.vapidKeys': p.push?.vapidKeys?.secretArn ?? SETTINGS['push.vapidKeys'].default,
  } as unknown as ResolvedSettings;
}

/** One setting from the props: its prop in the setting's unit, else its default. */
function settingValue<K extends SettingName>(p: RealtimeNotificationsProps, name: K): ResolvedSettings[K] {
  const s: SettingSpec = SETTINGS[name];
  const value = propValue(p, name);
  if (value === undefined) return (Array.isArray(s.default) ? [...s.default] : s.default) as ResolvedSettings[K];
  if (s.unit === 'seconds') return (value as Duration).toSeconds() as ResolvedSettings[K];
  if (s.unit === 'bytes') return (value as Size).toBytes() as ResolvedSettings[K];
  return value as ResolvedSettings[K];
}

function checkSetting(name: RangedSettingName, value: unknown): void {
  const s: { min: number; max: number; unit?: 'seconds' | 'bytes' } = SETTINGS[name];
  if (value === undefined) return;
  if (s.unit === 'seconds') {
    checkDuration(name, value as Duration, s.min, s.max, RANGE_REASONS[name]);
  } else if (s.unit === 'bytes') {
    checkSize(name, value as Size, s.min, s.max);
  } else {
    checkInteger(name, value as number, s.min, s.max);
  }
}

/** Sizes are checked in bytes: the client message size (a part of API Gateway's frame) and the payload size (one S3 object). */
function checkSize(prop: string, size: Size, min: number, max: number): void {
  const bytes = size.toBytes();
  if (Token.isUnresolved(bytes)) return;
  if (bytes < min || bytes > max) {
    if (prop === 'payloads.maxObjectSize') {
      throw invalidProp(prop, `${bytes} bytes is outside ${min / 1024} KiB to ${max / 1024 ** 3} GiB`,
        `One S3 PutObject stores at most ${max / 1024 ** 3} GiB, and clients download a payload whole: set it between Size.kibibytes(${min / 1024}) and Size.gibibytes(${max / 1024 ** 3}).`);
    }
    throw invalidProp(prop, `${bytes} bytes is outside ${min} byte to ${max / 1024} KiB`,
      `API Gateway frames carry at most ${LIMITS.maxFrameBytes / 1024} KB, envelope included: set it to at most Size.kibibytes(${max / 1024}).`);
  }
}

function validateTopicRules(p: RealtimeNotificationsProps): void {
  checkTopicPatterns('topicRules', settingValue(p, 'topicRules'));
  checkTopicPatterns('publishRules', p.publishRules ?? []);
  (p.publishRules ?? []).forEach((pattern, i) => {
    if (pattern.split(TOPIC_SEPARATOR)[0] === USER_TOPIC_ROOT) {
      throw invalidProp(`publishRules[${i}]`, `${JSON.stringify(pattern)} names topics under "${USER_TOPIC_ROOT}/", which are never open to client publishing`,
        'Remove it; backends reach a user with a user-targeted notification ({"userId": …}) or a topic under users/<id>/.');
    }
  });
  checkTopicPatterns('presenceRules', p.presenceRules ?? []);
  checkTopicPatterns('historyRules', p.historyRules ?? []);
  refuseUserIdPlaceholder('historyRules', p.historyRules ?? [], 'a topic\'s history is the same for everyone',
    'Name the topics with * and **; user-targeted notifications are kept in each user\'s own stream (history.userStreams).');
  for (const list of ['subscriptionRules', 'historyRules'] as const) {
    const patterns = p.hotTopics?.[list] ?? [];
    checkTopicPatterns(`hotTopics.${list}`, patterns);
    refuseUserIdPlaceholder(`hotTopics.${list}`, patterns, 'a topic under one user\'s name is never that busy',
      'Name the busy topics with * and **, such as "live/*".');
  }
}

/** Rules that are the same for every user cannot name the user's own id. */
function refuseUserIdPlaceholder(prop: string, patterns: string[], why: string, fix: string): void {
  patterns.forEach((pattern, i) => {
    if (pattern.split(TOPIC_SEPARATOR).includes(USER_ID_PLACEHOLDER)) {
      throw invalidProp(`${prop}[${i}]`, `${JSON.stringify(pattern)} uses ${USER_ID_PLACEHOLDER}, but ${why}`, fix);
    }
  });
}

function checkTopicPatterns(prop: string, patterns: string[]): void {
  patterns.forEach((pattern, i) => {
    if (Token.isUnresolved(pattern)) {
      throw invalidProp(`${prop}[${i}]`, 'it is a deploy-time token', 'Topic patterns must be literal strings known at synth.');
    }
    const problem = topicPatternProblem(pattern);
    if (problem !== undefined) {
      throw invalidProp(`${prop}[${i}]`, `${JSON.stringify(pattern)} ${problem}`,
        'Write /-separated segments; use * for one segment, ** (last segment only) for one or more, {userId} for the user\'s own id.');
    }
  });
}

function validateDetailTypes(p: RealtimeNotificationsProps): void {
  const detailType = settingValue(p, 'detailType');
  const clientDetailType = settingValue(p, 'clientMessages.detailType');
  for (const [prop, value] of [['detailType', detailType], ['clientMessages.detailType', clientDetailType]] as const) {
    if (!Token.isUnresolved(value) && RESERVED_DETAIL_TYPES.includes(value)) {
      throw invalidProp(prop, `${JSON.stringify(value)} is the detail type of the construct's own events (the inbox's, mobile push's, connection control)`,
        `Choose another detail type than ${RESERVED_DETAIL_TYPES.map((t) => JSON.stringify(t)).join(', ')}.`);
    }
  }
  if (!Token.isUnresolved(detailType) && detailType === clientDetailType) {
    throw invalidProp('clientMessages.detailType', `it equals detailType (${JSON.stringify(detailType)}), so every client message would be delivered a second time by the notification rule`,
      'Give client messages and notifications different detail types.');
  }
}

function validateFanout(p: RealtimeNotificationsProps): void {
  const d = p.delivery ?? {};
  const threshold = settingValue(p, 'delivery.shardThreshold');
  const shardSize = settingValue(p, 'delivery.shardSize');
  if (!Token.isUnresolved(threshold) && !Token.isUnresolved(shardSize) && shardSize > threshold) {
    throw invalidProp('delivery.shardSize', `${shardSize} is larger than delivery.shardThreshold (${threshold}), so sharding would never split an audience`,
      'Set delivery.shardSize at most delivery.shardThreshold.');
  }
  const rate = d.maxRatePerSecond;
  if (rate !== undefined && Token.isUnresolved(rate)) {
    throw invalidProp('delivery.maxRatePerSecond', 'it is a token, but it is split between deliver instances at synth time',
      'Give delivery.maxRatePerSecond a number.');
  }
  if (rate) {
    if (d.maxConcurrency === undefined || Token.isUnresolved(d.maxConcurrency)) {
      throw invalidProp('delivery.maxRatePerSecond', 'it caps the whole deployment, but without a known delivery.maxConcurrency any number of deliver instances may run at once',
        'Set delivery.maxConcurrency to a number too, so the cap can be split between at most that many instances.');
    }
    if (rate < d.maxConcurrency) {
      throw invalidProp('delivery.maxRatePerSecond', `${rate} is below delivery.maxConcurrency (${d.maxConcurrency}), so each instance's share would be under 1 post per second`,
        'Raise delivery.maxRatePerSecond to at least delivery.maxConcurrency, or lower delivery.maxConcurrency.');
    }
  }
}

function validateEventSource(p: RealtimeNotificationsProps): void {
  const d = p.delivery ?? {};
  const batchSize = settingValue(p, 'delivery.batchSize');
  const window = d.maxBatchingWindow;
  if (!Token.isUnresolved(batchSize) && batchSize > LIMITS.maxBatchSizeWithoutWindow
    && (window === undefined || (!Token.isUnresolved(window.toSeconds()) && window.toSeconds() < 1))) {
    throw invalidProp('delivery.batchSize', `${batchSize} is above ${LIMITS.maxBatchSizeWithoutWindow} without a batching window`,
      `SQS event sources take more than ${LIMITS.maxBatchSizeWithoutWindow} messages only with a window: set delivery.maxBatchingWindow to at least 1 second, or delivery.batchSize to at most ${LIMITS.maxBatchSizeWithoutWindow}.`);
  }
  if (d.timeout !== undefined && Token.isUnresolved(d.timeout.toSeconds())) {
    throw invalidProp('delivery.timeout', 'it is a token, but the queue\'s visibility timeout is derived from it at synth time',
      'Give delivery.timeout a concrete Duration such as Duration.seconds(60).');
  }
}

function validateMonitoring(p: RealtimeNotificationsProps): void {
  const m = p.monitoring ?? {};
  if (m.alarms !== false) return;
  if (m.alarmTopic !== undefined) {
    throw invalidProp('monitoring.alarmTopic', 'it is set while monitoring.alarms is false, so nothing would ever notify it',
      'Remove monitoring.alarmTopic, or leave alarms on.');
  }
  if (m.queueAgeAlarmThreshold !== undefined) {
    throw invalidProp('monitoring.queueAgeAlarmThreshold', 'it is set while monitoring.alarms is false',
      'Remove monitoring.queueAgeAlarmThreshold, or leave alarms on.');
  }
}

/** Push endpoints are https hosts; a loopback or http entry exists only in the local runtime. */
function validatePush(p: RealtimeNotificationsProps): void {
  for (const [prop, types] of [['apns', 'APNS|APNS_SANDBOX'], ['fcm', 'GCM']] as const) {
    const arn = p.push?.[prop];
    if (arn === undefined) continue;
    if (Token.isUnresolved(arn)) {
      throw invalidProp(`push.${prop}`, 'it is a deploy-time token, but the endpoints the functions may use are derived from it at synth time',
        'Give the platform application\'s ARN as a literal string.');
    }
    if (!new RegExp(`^arn:aws[\\w-]*:sns:[\\w-]+:\\d{12}:app/(${types})/[\\w.-]{1,256}$`).test(arn)) {
      throw invalidProp(`push.${prop}`, `${JSON.stringify(arn)} is not the ARN of an SNS platform application for ${prop === 'apns' ? 'APNs' : 'FCM'}`,
        `Give the ARN SNS shows for the application, such as "arn:aws:sns:us-east-1:123456789012:app/${types.split('|')[0]}/my-app".`);
    }
  }
  (p.push?.allowedEndpoints ?? []).forEach((host, i) => {
    if (Token.isUnresolved(host)) {
      throw invalidProp(`push.allowedEndpoints[${i}]`, 'it is a deploy-time token', 'Name the push service hosts as literal strings known at synth.');
    }
    if (allowedEndpointProblem(host) !== undefined) {
      throw invalidProp(`push.allowedEndpoints[${i}]`, `${JSON.stringify(host)} ${allowedEndpointProblem(host)}`,
        'Give a host name such as "fcm.googleapis.com", or "*.push.apple.com" for any of its subdomains: no scheme, port or path (endpoints are always https).');
    }
  });
}

/** Each deliver instance enforces its share of the deployment-wide rate cap (validated to be at least 1 post/s). */
function ratePerInstance(p: RealtimeNotificationsProps): number {
  const rate = settingValue(p, 'delivery.maxRatePerSecond');
  const instances = p.delivery?.maxConcurrency;
  if (!rate || instances === undefined) return rate;
  return Math.floor(rate / instances);
}

/** 0.x props still set: one error naming each and its 1.0 place. */
function checkMovedProps(p: RealtimeNotificationsProps): void {
  const moved = movedPropsIn(p);
  if (moved.length === 1) throw invalidProp(moved[0].prop, 'it was moved in 1.0', `Set \`${moved[0].path}\` instead.`);
  if (moved.length > 1) {
    throw invalidProp(moved.map((m) => m.prop).join('`, `'), 'they were moved in 1.0',
      `Set ${moved.map((m) => `\`${m.path}\` instead of \`${m.prop}\``).join(', ')}.`);
  }
}
