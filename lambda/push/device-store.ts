/**
 * Each user's push devices, as one map per user in the counters table (keyed by a device id
 * derived from the endpoint). Registering is one conditional UpdateItem on the map's size, so
 * however many registrations of one user race, at most `max` devices are kept; registering an
 * endpoint again replaces its keys. A device unused for `ttl` (not registered again, nothing
 * pushed to it) is treated as gone, removed when room is needed, and the item expires after its
 * newest device.
 */
import { createHash } from 'node:crypto';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Tables } from '../../lib/private/runtime-contract';
import { isConditionalCheckFailed } from '../stores/errors';
import { pushDevicesKey } from '../stores/keys';

const K = Tables.counters;
/** Attempts of one registration that other registrations of the same user keep overtaking. */
const MAX_ROUNDS = 10;

interface KeptDevice {
  readonly id: string;
  /** Epoch milliseconds of the last registration. */
  readonly registeredAt: number;
  /** Epoch milliseconds of the last registration or successful push. */
  readonly usedAt: number;
}

/** A browser's Web Push subscription as it is kept (devices kept before mobile push have no platform). */
export interface WebPushDevice extends KeptDevice {
  readonly platform?: 'web';
  readonly endpoint: string;
  readonly p256dh: string;
  readonly auth: string;
}

/** A mobile app's device token and the SNS endpoint it became. */
export interface MobileDevice extends KeptDevice {
  readonly platform: 'apns' | 'fcm';
  readonly token: string;
  readonly endpointArn: string;
}

export type PushDevice = WebPushDevice | MobileDevice;

/** What names a device: a browser's endpoint, or a mobile platform and its token. */
export type DeviceAddress = { readonly endpoint: string } | { readonly platform: 'apns' | 'fcm'; readonly token: string };

export function isMobile(device: PushDevice): device is MobileDevice {
  return device.platform === 'apns' || device.platform === 'fcm';
}

/** The id of the device at `address`: short, and safe as a map key. */
export function deviceIdOf(address: DeviceAddress): string {
  const key = 'endpoint' in address ? address.endpoint : `${address.platform}:${address.token}`;
  return createHash('sha256').update(key).digest('base64url').slice(0, 22);
}

/** The attribute and value a device is removed on: the same device, not one registered again since. */
function identity(address: DeviceAddress): [string, string] {
  return 'endpoint' in address ? ['endpoint', address.endpoint] : ['token', address.token];
}

export interface DevicePolicy {
  readonly maxDevices: number;
  /** Seconds a device is kept unused. */
  readonly ttlSeconds: number;
}

export type RegisterResult = { readonly ok: true; readonly devices: PushDevice[] } | { readonly ok: false; readonly devices: PushDevice[] };

type NewDevice = Omit<WebPushDevice, keyof KeptDevice> | Omit<MobileDevice, keyof KeptDevice>;

export class PushDeviceStore {
  constructor(private readonly doc: DynamoDBDocumentClient, readonly tableName: string, private readonly policy: DevicePolicy) {}

  /** The user's devices still in use, oldest registration first (a consistent read). */
  async list(userId: string, now: number): Promise<PushDevice[]> {
    return this.live(await this.read(userId), now);
  }

  /** Adds or refreshes the device unless the user has `maxDevices` others in use; returns the devices after. */
  async register(userId: string, added: NewDevice, now: number): Promise<RegisterResult> {
    const device = { id: deviceIdOf(added as DeviceAddress), ...added, registeredAt: now, usedAt: now } as PushDevice;
    // Again after another registration created the item first or took the last place but one,
    // or after room was made (devices unused for longer than the TTL removed): each round
    // follows a change by another, so a user's racing registrations settle in a few.
    for (let round = 0; round < MAX_ROUNDS; round++) {
      if (await this.putDevice(userId, device, now)) return { ok: true, devices: await this.list(userId, now) };
      const stored = await this.read(userId);
      if (stored.length < this.policy.maxDevices) continue;
      const stale = stored.filter((d) => !this.inUse(d, now) && d.id !== device.id);
      if (stale.length === 0) return { ok: false, devices: this.live(stored, now) };
      await this.remove(userId, stale);
    }
    return { ok: false, devices: await this.list(userId, now) };
  }

  /**
   * Removes devices: those listed, each only while it is the one given (a device registered
   * again since, with new keys, stays). Removing one that is gone is not an error.
   */
  async remove(userId: string, devices: readonly DeviceAddress[]): Promise<void> {
    for (const device of devices) {
      const [key, value] = identity(device);
      try {
        await this.doc.send(new UpdateCommand({
          TableName: this.tableName,
          Key: pushDevicesKey(userId),
          UpdateExpression: 'REMOVE #devices.#id',
          ConditionExpression: '#devices.#id.#key = :value',
          ExpressionAttributeNames: { '#devices': 'devices', '#id': deviceIdOf(device), '#key': key },
          ExpressionAttributeValues: { ':value': value },
        }));
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error;
      }
    }
  }

  /** Records that a push reached the device, so it is kept another TTL. */
  async touch(userId: string, deviceId: string, now: number): Promise<void> {
    try {
      await this.doc.send(new UpdateCommand({
        TableName: this.tableName,
        Key: pushDevicesKey(userId),
        UpdateExpression: 'SET #devices.#id.#usedAt = :now, #ttl = :expires',
        ConditionExpression: 'attribute_exists(#devices.#id)',
        ExpressionAttributeNames: { '#devices': 'devices', '#id': deviceId, '#usedAt': 'usedAt', '#ttl': K.ttlAttribute },
        ExpressionAttributeValues: { ':now': now, ':expires': this.expiresAt(now) },
      }));
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
  }

  /** Writes the device into an existing map with room, or starts the map; false when there is no room. */
  private async putDevice(userId: string, device: PushDevice, now: number): Promise<boolean> {
    try {
      await this.doc.send(new UpdateCommand({
        TableName: this.tableName,
        Key: pushDevicesKey(userId),
        UpdateExpression: 'SET #devices.#id = :device, #ttl = :expires',
        ConditionExpression: 'attribute_exists(#devices) AND (size(#devices) < :max OR attribute_exists(#devices.#id))',
        ExpressionAttributeNames: { '#devices': 'devices', '#id': device.id, '#ttl': K.ttlAttribute },
        ExpressionAttributeValues: { ':device': device, ':max': this.policy.maxDevices, ':expires': this.expiresAt(now) },
      }));
      return true;
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
    try {
      await this.doc.send(new PutCommand({
        TableName: this.tableName,
        Item: { ...pushDevicesKey(userId), devices: { [device.id]: device }, [K.ttlAttribute]: this.expiresAt(now) },
        ConditionExpression: 'attribute_not_exists(#devices)',
        ExpressionAttributeNames: { '#devices': 'devices' },
      }));
      return true;
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      return false;
    }
  }

  private async read(userId: string): Promise<PushDevice[]> {
    const { Item } = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: pushDevicesKey(userId), ConsistentRead: true }));
    const devices = (Item?.devices ?? {}) as Record<string, PushDevice>;
    return Object.values(devices).sort((a, b) => a.registeredAt - b.registeredAt || a.id.localeCompare(b.id));
  }

  private live(devices: PushDevice[], now: number): PushDevice[] {
    return devices.filter((d) => this.inUse(d, now));
  }

  private inUse(device: PushDevice, now: number): boolean {
    return device.usedAt + this.policy.ttlSeconds * 1000 > now;
  }

  private expiresAt(now: number): number {
    return Math.ceil(now / 1000) + this.policy.ttlSeconds;
  }
}
