/**
 * Stands in for DynamoDB's TTL process on engines that never expire items (dynalite): on an
 * interval, deletes the rows whose TTL attribute is in the past. A Scan is right here: this is
 * the table's own housekeeping, not a request path.
 */
import { DeleteItemCommand, DynamoDBClient, ScanCommand, ScanCommandOutput } from '@aws-sdk/client-dynamodb';
import { TableDefinition } from '../lib/private/runtime-contract';

export interface SweptTable {
  readonly tableName: string;
  readonly definition: TableDefinition;
}

export class TtlSweeper {
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tables: readonly SweptTable[],
    private readonly log?: (line: string) => void,
  ) {}

  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      this.sweep().catch((error: Error) => this.log?.(`TTL sweep failed: ${error.message}`));
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** Deletes every expired row now; resolves with how many. */
  sweep(nowSeconds = Math.floor(Date.now() / 1000)): Promise<number> {
    this.running ??= this.sweepAll(nowSeconds).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async sweepAll(nowSeconds: number): Promise<number> {
    let deleted = 0;
    for (const table of this.tables) deleted += await this.sweepTable(table, nowSeconds);
    if (deleted > 0) this.log?.(`TTL sweep deleted ${deleted} expired rows`);
    return deleted;
  }

  private async sweepTable({ tableName, definition }: SweptTable, nowSeconds: number): Promise<number> {
    const keys = [definition.partitionKey, ...(definition.sortKey ? [definition.sortKey] : [])];
    const names: Record<string, string> = { '#ttl': definition.ttlAttribute };
    keys.forEach((key, i) => { names[`#k${i}`] = key; });
    const now = { ':now': { N: String(nowSeconds) } };
    let deleted = 0;
    let startKey: ScanCommandOutput['LastEvaluatedKey'];
    do {
      const page = await this.client.send(new ScanCommand({
        TableName: tableName,
        FilterExpression: '#ttl < :now',
        ProjectionExpression: keys.map((_, i) => `#k${i}`).join(', '),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: now,
        ExclusiveStartKey: startKey,
      }));
      for (const key of page.Items ?? []) {
        try {
          // Only if still expired: a row refreshed since the scan stays.
          await this.client.send(new DeleteItemCommand({
            TableName: tableName,
            Key: key,
            ConditionExpression: '#ttl < :now',
            ExpressionAttributeNames: { '#ttl': definition.ttlAttribute },
            ExpressionAttributeValues: now,
          }));
          deleted++;
        } catch (error) {
          if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
        }
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return deleted;
  }
}
