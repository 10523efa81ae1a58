/** Every file generated from the protocol's schemas, by path from the repository root, with its fresh content. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ASYNCAPI_FILE, renderAsyncApi } from './asyncapi';
import { CLIENT_TYPES_FILE, renderClientTypes } from './client-types';
import { PROTOCOL_DOC, withTables } from './docs-tables';

export function generatedFiles(root: string): Record<string, string> {
  const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  return {
    [CLIENT_TYPES_FILE]: renderClientTypes(),
    [PROTOCOL_DOC]: withTables(readFileSync(join(root, PROTOCOL_DOC), 'utf8')),
    [ASYNCAPI_FILE]: `${JSON.stringify(renderAsyncApi(version), null, 2)}\n`,
  };
}
