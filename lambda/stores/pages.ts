/**
 * Runs a DynamoDB paginator whose first page may be smaller than the rest: a small first page
 * comes back in a few milliseconds, so work on it can start while the larger pages are read.
 */
import type { DynamoDBDocumentPaginationConfiguration } from '@aws-sdk/lib-dynamodb';

export interface PageOptions {
  /** Items read per page (DynamoDB `Limit`); DynamoDB's own 1 MB page cap applies regardless. */
  readonly pageSize?: number;
  /** Items read by the first page only; later pages use `pageSize`. */
  readonly firstPageSize?: number;
  /** A strongly consistent read (tables only; an index is always read eventually consistent). */
  readonly consistent?: boolean;
  /**
   * Epoch seconds: only connections whose token is still valid then (no `tokenExpiresAt`, or a
   * later one). Delivery passes the time it reads at, so an expired token is never posted to.
   */
  readonly tokenValidAt?: number;
}

/** Attribute of connection and subscription rows: when the connection's token expires (epoch seconds). */
export const TOKEN_EXPIRES_AT = 'tokenExpiresAt';

/** The filter that keeps only rows whose token is still valid at `:validAt` (see tokenValidAt). */
export function tokenValidFilter(validAt: number | undefined): { FilterExpression?: string; names: Record<string, string>; values: Record<string, unknown> } {
  if (validAt === undefined) return { names: {}, values: {} };
  return {
    FilterExpression: 'attribute_not_exists(#tokenExp) OR #tokenExp > :validAt',
    names: { '#tokenExp': TOKEN_EXPIRES_AT },
    values: { ':validAt': validAt },
  };
}

type Key = Record<string, unknown>;
type Paginator<I, O> = (config: DynamoDBDocumentPaginationConfiguration, input: I) => AsyncIterable<O>;

export async function* pagesOf<I extends object, O extends { LastEvaluatedKey?: Key }>(
  paginate: Paginator<I, O>,
  config: Pick<DynamoDBDocumentPaginationConfiguration, 'client'>,
  input: I,
  options: PageOptions,
): AsyncGenerator<O> {
  let startingToken: Key | undefined;
  if (options.firstPageSize !== undefined) {
    // The paginator writes its Limit into the input it is given: each run gets its own copy.
    for await (const first of paginate({ ...config, pageSize: options.firstPageSize }, { ...input })) {
      yield first;
      startingToken = first.LastEvaluatedKey;
      break;
    }
    if (startingToken === undefined) return;
  }
  yield* paginate({ ...config, pageSize: options.pageSize, startingToken }, { ...input });
}
