/**
 * Every file generated from the protocol's schemas, by path from the repository root, with its
 * fresh content. Versioned by the protocol (PROTOCOL_VERSION), not the package: a release that
 * leaves the protocol alone changes none of them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ASYNCAPI_FILE, renderAsyncApi } from './asyncapi';
import { CLIENT_TYPES_FILE, renderClientTypes, RUNTIME_TYPES_FILE } from './client-types';
import { PROTOCOL_DOC, withTables } from './docs-tables';

export function generatedFiles(root: string): Record<string, string> {
  return {
    [CLIENT_TYPES_FILE]: renderClientTypes(),
    [RUNTIME_TYPES_FILE]: renderClientTypes(),
    [PROTOCOL_DOC]: withTables(readFileSync(join(root, PROTOCOL_DOC), 'utf8')),
    [ASYNCAPI_FILE]: `${JSON.stringify(renderAsyncApi(), null, 2)}\n`,
  };
}
