/** Command-line parsing shared by the binaries: Node's own parseArgs, with errors turned into ConfigError. */
import { createReadStream, fstatSync, openSync, readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError } from '../errors.js';
import type { PluginInfo } from '../config/plugins.js';
import { readConfigSources } from '../config/sources.js';

export function parseCli<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  } catch (e) {
    throw new ConfigError(`${(e as Error).message} (see --help)`);
  }
}

/** The options every Singer target here takes, as the Meltano SDK's targets do. */
export const TARGET_OPTIONS = {
  config: { type: 'string', multiple: true },
  input: { type: 'string' },
  about: { type: 'boolean' },
  format: { type: 'string' },
  version: { type: 'boolean' },
  help: { type: 'boolean' },
} as const;

export const TARGET_OPTIONS_HELP = `  --config FILE|ENV   JSON config; repeatable, merged left to right (later wins); ENV reads <PLUGIN>_<SETTING>
                      environment variables
  --input FILE        read the Singer messages from FILE instead of stdin
  --about             what the plugin supports and its settings (--format json|markdown)
  --version, --help`;

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** The raw config of the `--config` sources, merged (validation is the caller's). */
export function readConfig(sources: string[] | undefined, plugin: PluginInfo): Record<string, unknown> {
  return readConfigSources(sources ?? [], plugin.schema, plugin.name);
}

/**
 * The Singer input: `--input FILE`, else standard input. A file is read in 1 MiB blocks (also stdin when it is a
 * file, `target < audience.jsonl`): 64 KiB reads mean thousands more read calls for a large audience. A pipe gives
 * what it holds.
 */
export function inputStream(path?: string): Readable {
  if (path !== undefined) {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (e) {
      throw new ConfigError(`cannot read --input ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    return createReadStream(path, { fd, highWaterMark: 1 << 20 });
  }
  try {
    if (fstatSync(0).isFile()) return createReadStream('', { fd: 0, highWaterMark: 1 << 20, autoClose: false });
  } catch {
    // No usable descriptor 0: fall back to process.stdin, which reports its own errors.
  }
  return process.stdin;
}
