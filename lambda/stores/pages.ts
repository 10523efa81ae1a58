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
