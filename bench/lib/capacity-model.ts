/**
 * From recorded DynamoDB calls to the capacity DynamoDB bills. Pure.
 *
 * DynamoDB bills writes to every global secondary index the written item is projected into
 * (1 WCU per KB; our indexes are KEYS_ONLY, so 1) and reports them in ConsumedCapacity, as
 * DynamoDB Local does; dynalite reports the base table's units only. For it, the rule applied
 * here, per the DynamoDB
 * developer guide ("Provisioned throughput considerations for GSIs"):
 * - PutItem of an item carrying an index's key attributes: +1 index write per such index;
 * - DeleteItem / BatchWriteItem delete of such an item: +1 (the stores' data always carries them);
 * - UpdateItem that changes no key attribute of an index (KEYS_ONLY projection): +0.
 */
import { TableDefinition } from '../../lib/private/runtime-contract';
import type { CapacityRecord } from '../../test/faults/support/dynamodb-proxy';

export interface CapacitySummary {
  readonly calls: number;
  /** Units as the engine reported them (base table; reads and writes together). */
  readonly reportedUnits: number;
  readonly readUnits: number;
  /** Base table writes plus the index writes the engine leaves out. */
  readonly writeUnits: number;
  readonly indexWriteUnits: number;
  /** Calls by operation and table, for the breakdown tables. */
  readonly byOperation: Record<string, { calls: number; units: number }>;
}

const READS = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems']);

export function summariseCapacity(
  records: readonly CapacityRecord[],
  /** Table name → its definition (for the index rule). */
  tables: Readonly<Record<string, TableDefinition>>,
  /** True for engines that report base-table units only (dynalite); DynamoDB and DynamoDB Local include index writes. */
  addIndexWrites = true,
): CapacitySummary {
  let readUnits = 0;
  let writeUnits = 0;
  let indexWriteUnits = 0;
  const byOperation: Record<string, { calls: number; units: number }> = {};
  for (const r of records) {
    const isRead = READS.has(r.operation);
    const extra = isRead || !addIndexWrites ? 0 : indexWrites(r, tables);
    if (isRead) readUnits += r.capacityUnits;
    else writeUnits += r.capacityUnits + extra;
    indexWriteUnits += extra;
    const key = `${r.operation} ${r.indexName ? `${r.tableName}/${r.indexName}` : r.tableName ?? batchTables(r)}`;
    const entry = (byOperation[key] ??= { calls: 0, units: 0 });
    entry.calls++;
    entry.units += r.capacityUnits + extra;
  }
  return {
    calls: records.length,
    reportedUnits: records.reduce((sum, r) => sum + r.capacityUnits, 0),
    readUnits,
    writeUnits,
    indexWriteUnits,
    byOperation,
  };
}

function indexWrites(r: CapacityRecord, tables: Readonly<Record<string, TableDefinition>>): number {
  switch (r.operation) {
    case 'PutItem': {
      const def = tables[r.tableName ?? ''];
      const item = (r.request.Item ?? {}) as Record<string, unknown>;
      return def ? def.indexes.filter((ix) => ix.partitionKey in item).length : 0;
    }
    case 'DeleteItem': {
      const def = tables[r.tableName ?? ''];
      return def ? def.indexes.length : 0;
    }
    case 'BatchWriteItem': {
      let n = 0;
      for (const [table, requests] of Object.entries((r.request.RequestItems ?? {}) as Record<string, Array<Record<string, { Item?: Record<string, unknown> }>>>)) {
        const def = tables[table];
        if (!def) continue;
        for (const req of requests) {
          if (req.DeleteRequest) n += def.indexes.length;
          else if (req.PutRequest?.Item) n += def.indexes.filter((ix) => ix.partitionKey in req.PutRequest!.Item!).length;
        }
      }
      return n;
    }
    default:
      return 0;
  }
}

function batchTables(r: CapacityRecord): string {
  return Object.keys((r.request.RequestItems ?? {}) as Record<string, unknown>).join('+');
}

/** DynamoDB's read formula: 0.5 RCU per 4 KB (eventually consistent), per request, rounded up. */
export function queryReadUnits(totalItemBytes: number, consistent = false): number {
  return Math.ceil(totalItemBytes / 4096) * (consistent ? 1 : 0.5);
}
