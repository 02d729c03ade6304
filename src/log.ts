/**
 * Human output goes to stderr only: stdout is reserved for Singer messages.
 * Every line passes through phone masking, so a stray number in a message from Listrak cannot leak, and has its
 * unprintable characters escaped, so input echoed in a message cannot act on the terminal.
 */
import { printable } from './printable.js';
import { maskPhonesIn, scrubSecrets } from './redact.js';

export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  debug(msg: string): void;
}

export interface LoggerOptions {
  level?: 'debug' | 'info' | 'warn' | 'error';
  secrets?: () => Iterable<string | undefined>;
  write?: (line: string) => void;
}

const ORDER = { debug: 0, info: 1, warn: 2, error: 3 } as const;

export function createLogger(opts: LoggerOptions = {}): Logger {
  const min = ORDER[opts.level ?? 'info'];
  const write = opts.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const emit = (level: keyof typeof ORDER, msg: string) => {
    if (ORDER[level] < min) return;
    const clean = printable(scrubSecrets(maskPhonesIn(msg), opts.secrets?.() ?? []), Infinity, { keepNewlines: true });
    write(level === 'info' ? clean : `${level.toUpperCase()}: ${clean}`);
  };
  return {
    debug: (m) => emit('debug', m),
    info: (m) => emit('info', m),
    warn: (m) => emit('warn', m),
    error: (m) => emit('error', m),
  };
}

