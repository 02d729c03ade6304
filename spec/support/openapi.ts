/**
 * Listrak's published OpenAPI documents live beside the project (../shared/listrak), not in it. The contract specs
 * read them from there (or from LISTRAK_OPENAPI_DIR). Under CI their absence is a failure, never a skip.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export function openApiPath(name: string): string {
  const dir = process.env.LISTRAK_OPENAPI_DIR ?? join(repoRoot, '..', 'shared', 'listrak');
  return join(dir, name);
}

export function loadOpenApi(name: string): Record<string, unknown> | undefined {
  const path = openApiPath(name);
  if (!existsSync(path)) {
    if (process.env.CI) throw new Error(`the vendor contract ${path} is missing; CI must run the contract specs`);
    return undefined;
  }
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}
