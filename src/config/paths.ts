/**
 * Files and folders named in a config, checked before any API call or upload: a path that cannot be used fails
 * at once, naming its key, instead of after minutes of work (or as an 'error' event from deep inside a stream).
 * Nothing is created or changed here.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import type { ExportConfig } from './export.js';
import { isS3Url } from './s3-url.js';
import type { TargetConfig } from './target.js';

/** `file`: a file this run writes; `read`: a file it reads; `folder`: a folder it writes into (created if missing). */
export type PathUse = 'file' | 'read' | 'folder';

/** Why `path` cannot serve as `use`, in a few words; undefined when it can. */
export function pathProblem(path: string, use: PathUse): string | undefined {
  const target = statOf(path);
  if (use === 'read') {
    if (!target) return `${path} does not exist`;
    if (target.isDirectory()) return `${path} is a folder, not a file`;
    return denied(path, constants.R_OK, 'cannot be read');
  }
  if (target) {
    if (use === 'file' && target.isDirectory()) return `${path} is a folder, not a file`;
    if (use === 'folder' && !target.isDirectory()) return `${path} is a file, not a folder`;
    return denied(path, constants.W_OK, 'is not writable');
  }
  // Not there yet: a file needs its folder; a folder is created with its parents, under the nearest one that exists.
  let parent = resolve(dirname(path));
  if (use === 'folder') while (!statOf(parent) && dirname(parent) !== parent) parent = dirname(parent);
  const folder = statOf(parent);
  if (!folder) return `folder ${parent} does not exist`;
  if (!folder.isDirectory()) return `${parent} is a file, not a folder`;
  return denied(parent, constants.W_OK | constants.X_OK, 'is not writable');
}

/** Throw ConfigError naming `key` when `path` cannot serve as `use`. */
export function assertUsablePath(key: string, path: string, use: PathUse): void {
  const problem = pathProblem(path, use);
  if (problem) throw new ConfigError(`invalid config: ${key}: ${problem}`);
}

function statOf(path: string) {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

function denied(path: string, mode: number, what: string): string | undefined {
  try {
    accessSync(path, mode);
    return undefined;
  } catch {
    return `${path} ${what}`;
  }
}

export interface ConfigPath {
  key: string;
  path: string;
  use: PathUse;
}

/** The files a target run with this config may write. */
export function targetPaths(config: TargetConfig): ConfigPath[] {
  return [
    { key: 'rejects_file', path: config.rejects_file, use: 'file' },
    ...(config.audit_path !== undefined && !isS3Url(config.audit_path) ? [{ key: 'audit_path', path: config.audit_path, use: 'file' as const }] : []),
    // Only transactional texts use the journal, and they need transactional_phone_list_id; an s3:// journal is no
    // local path (the journal module checks it).
    ...(config.transactional_phone_list_id !== undefined && !isS3Url(config.journal_path) ? [{ key: 'journal_path', path: config.journal_path, use: 'file' as const }] : []),
  ];
}

/** The files and folders an export with this config reads or writes; the staging folder only when files are written. */
export function exportPaths(config: ExportConfig, opts: { staging: boolean }): ConfigPath[] {
  return [
    { key: 'rejects_file', path: config.rejects_file, use: 'file' },
    ...(opts.staging ? [{ key: 'staging_dir', path: config.staging_dir, use: 'folder' as const }] : []),
    ...(config.private_key_path ? [{ key: 'private_key_path', path: config.private_key_path, use: 'read' as const }] : []),
  ];
}

export function assertUsablePaths(paths: ConfigPath[]): void {
  for (const p of paths) assertUsablePath(p.key, p.path, p.use);
}
