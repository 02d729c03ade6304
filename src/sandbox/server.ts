/**
 * The Listrak sandbox: a real HTTP server on loopback that speaks Listrak's SMS API (under `/sms`) and its OAuth2
 * token endpoint (`/OAuth2/Token`), plus `/_sandbox/*` routes to inspect state, count calls and inject faults.
 * Used by `make sync`, the tests and the benchmark.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { FaultPlan, failsCall, type FaultRule } from './faults.js';
import { LeakyBucket, type RateLimitOptions } from './rate-limit.js';
import type { SandboxSeed } from './model.js';
import { JsonBytes, ROUTES, type Reply, type RouteSpec } from './routes.js';
import { SandboxState } from './state.js';
import { ApiFault } from './validate.js';

export interface SandboxOptions {
  seed?: SandboxSeed;
  host?: string;
  port?: number;
  /** Added to every API answer, to model a remote server. */
  latencyMs?: number;
  importDelayMs?: number;
  /** Largest request body accepted (Listrak: 250 MB); larger answers 404 as Listrak documents. */
  maxBodyBytes?: number;
  /** A leaky-bucket limit on the API routes (none by default); its refusals are counted as `rate_limited` calls. */
  rateLimit?: RateLimitOptions;
}

export interface Sandbox {
  url: string;
  authUrl: string;
  apiUrl: string;
  state: SandboxState;
  faults: FaultPlan;
  /** Calls per operationId (and `token`), faults included. */
  calls: Map<string, number>;
  options: Required<Pick<SandboxOptions, 'latencyMs' | 'importDelayMs'>>;
  expireTokens(): void;
  /** Every access token handed out, for specs that check no log ever shows one. */
  issuedTokens(): string[];
  close(): Promise<void>;
}

interface CompiledRoute {
  spec: RouteSpec;
  pattern: RegExp;
  names: string[];
}

const API_BASE = '/sms';

function compile(spec: RouteSpec): CompiledRoute {
  const names: string[] = [];
  const source = spec.path.replace(/\{(\w+)\}/g, (_m, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { spec, pattern: new RegExp(`^${source}/?$`), names };
}

const COMPILED = ROUTES.map(compile);

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const state = new SandboxState(options.seed ?? {});
  const faults = new FaultPlan();
  const calls = new Map<string, number>();
  const tokens = new Map<string, number>();
  const issued: string[] = [];
  const opts = { latencyMs: options.latencyMs ?? 0, importDelayMs: options.importDelayMs ?? 50 };
  const maxBody = options.maxBodyBytes ?? 262_144_000;
  const bucket = options.rateLimit ? new LeakyBucket(options.rateLimit) : undefined;

  const count = (op: string) => calls.set(op, (calls.get(op) ?? 0) + 1);

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBody) tooBig = true;
      else chunks.push(c);
    });
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      handle(req, res, raw, tooBig).catch((e) => {
        if (!res.headersSent) send(res, 500, { status: 500, error: 'ERROR_UNHANDLED_EXCEPTION', message: String(e) });
      });
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, raw: Buffer, tooBig: boolean) {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const method = req.method ?? 'GET';
    if (url.pathname.startsWith('/_sandbox/')) return admin(url, method, raw, res);
    if (url.pathname === '/OAuth2/Token') return token(method, req, raw, res);
    if (!url.pathname.startsWith(API_BASE + '/')) return send(res, 404, apiError(404, 'ERROR_UNKNOWN_ROUTE', 'No such route.'));
    const path = url.pathname.slice(API_BASE.length);

    if (/[<>]/.test(decodeURIComponent(path)) || path.includes('&')) return send(res, 400, apiError(400, 'ERROR_UNSAFE_ROUTE', 'The route contains an unsafe character.'));
    const matches = COMPILED.filter((r) => r.pattern.test(path));
    if (matches.length === 0) return send(res, 404, apiError(404, 'ERROR_UNKNOWN_ROUTE', 'No such route.'));
    const route = matches.find((r) => r.spec.method === method);
    if (!route) return send(res, 405, apiError(405, 'ERROR_UNSUPPORTED_METHOD', `${method} is not supported on this route.`));

    const op = route.spec.operationId;
    count(op);
    if (opts.latencyMs > 0) await delay(opts.latencyMs);
    const wait = bucket?.admit();
    if (wait !== undefined) {
      count('rate_limited');
      if (bucket?.sendsRetryAfter) res.setHeader('Retry-After', String(Math.max(1, Math.ceil(wait))));
      return send(res, 429, apiError(429, 'ERROR_TOO_MANY_REQUESTS', 'Too many requests.'));
    }
    const taken = faults.take(op, method);
    if (taken?.delayMs) await delay(taken.delayMs);
    const fault = taken && failsCall(taken) ? taken : undefined;
    if (fault && !fault.afterHandler) return injectFault(res, fault);

    if (tooBig) return send(res, 404, apiError(404, 'ERROR_UNKNOWN_ROUTE', 'The request body is larger than 250 MB.'));
    const auth = req.headers.authorization ?? '';
    const bearer = /^Bearer (.+)$/.exec(auth)?.[1];
    const expiry = bearer ? tokens.get(bearer) : undefined;
    if (!bearer || expiry === undefined || Date.now() >= expiry) return send(res, 401, apiError(401, 'ERROR_UNAUTHORIZED', 'The access token is missing, invalid or expired.'));

    let body: unknown;
    if (route.spec.body) {
      const type = req.headers['content-type'] ?? '';
      if (!/^application\/json\b/i.test(type)) return send(res, 415, apiError(415, 'ERROR_UNSUPPORTED_CONTENT_TYPE', 'Content-Type must be application/json.'));
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        return send(res, 400, apiError(400, 'ERROR_MALFORMED_REQUEST_BODY', 'The request body is not valid JSON.'));
      }
    }
    const params: Record<string, string> = {};
    const m = route.pattern.exec(path);
    route.names.forEach((name, i) => (params[name] = decodeURIComponent(m?.[i + 1] ?? '')));

    let reply: Reply;
    try {
      reply = route.spec.handler({ params, query: url.searchParams, body, state, importDelayMs: opts.importDelayMs, repeatCursor: taken?.repeatCursor });
    } catch (e) {
      if (e instanceof ApiFault) reply = { status: e.status, body: apiError(e.status, e.code, e.message) };
      else throw e;
    }
    if (fault) return injectFault(res, fault);
    return send(res, reply.status, reply.body);
  }

  function token(method: string, req: http.IncomingMessage, raw: Buffer, res: http.ServerResponse) {
    count('token');
    const fault = faults.take('token', method);
    if (fault) return injectFault(res, fault);
    if (method !== 'POST') return send(res, 405, { error: 'Method Not Allowed' });
    if (!/^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] ?? '')) return send(res, 400, { error: 'Unsupported grant request' });
    const form = new URLSearchParams(raw.toString('utf8'));
    const id = form.get('client_id') ?? '';
    if (form.get('grant_type') !== 'client_credentials' || !state.clients.has(id) || state.clients.get(id) !== form.get('client_secret')) {
      // Listrak's observed answer to bad credentials: 400 with a bare {error} body, not the API envelope.
      return send(res, 400, { error: 'Invalid Credentials' });
    }
    const value = randomBytes(24).toString('base64url');
    tokens.set(value, Date.now() + state.tokenTtlSeconds * 1000);
    issued.push(value);
    return send(res, 200, { access_token: value, token_type: 'bearer', expires_in: state.tokenTtlSeconds });
  }

  function admin(url: URL, method: string, raw: Buffer, res: http.ServerResponse) {
    const body = raw.length ? (JSON.parse(raw.toString('utf8')) as unknown) : undefined;
    switch (`${method} ${url.pathname}`) {
      case 'GET /_sandbox/state':
        return send(res, 200, state.summary());
      case 'GET /_sandbox/calls':
        return send(res, 200, Object.fromEntries(calls));
      case 'POST /_sandbox/calls/reset':
        calls.clear();
        return send(res, 200, {});
      case 'POST /_sandbox/faults':
        for (const rule of Array.isArray(body) ? body : [body]) faults.add(rule as FaultRule);
        return send(res, 200, { pending: faults.pending() });
      case 'DELETE /_sandbox/faults':
        faults.clear();
        return send(res, 200, {});
      case 'POST /_sandbox/expire-tokens':
        tokens.clear();
        return send(res, 200, {});
      case 'POST /_sandbox/latency':
        opts.latencyMs = Number((body as { latencyMs?: number })?.latencyMs ?? 0);
        return send(res, 200, opts);
      case 'GET /_sandbox/members': {
        const listId = Number(url.searchParams.get('list'));
        return send(res, 200, { subscribed: state.subscribedPhones(listId), pending: state.pendingPhones(listId) });
      }
      default:
        return send(res, 404, { error: 'no such sandbox route' });
    }
  }

  function injectFault(res: http.ServerResponse, fault: FaultRule) {
    if (fault.drop) {
      res.socket?.destroy();
      return;
    }
    const status = fault.status ?? 500;
    const headers: Record<string, string> = fault.retryAfterS !== undefined ? { 'Retry-After': String(fault.retryAfterS) } : {};
    const code = fault.error ?? (status === 429 ? 'ERROR_TOO_MANY_REQUESTS' : status >= 500 ? 'ERROR_UNHANDLED_EXCEPTION' : 'ERROR_INVALID_PARAMETER');
    return send(res, status, apiError(status, code, fault.message ?? 'Injected fault.'), headers);
  }

  // A port in use (or not ours to take) rejects here, for the caller to report, instead of an unhandled 'error'.
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const base = `http://${addr.address}:${addr.port}`;
  return {
    url: base,
    authUrl: `${base}/OAuth2/Token`,
    apiUrl: `${base}${API_BASE}`,
    state,
    faults,
    calls,
    options: opts,
    expireTokens: () => tokens.clear(),
    issuedTokens: () => [...issued],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function apiError(status: number, error: string, message: string) {
  return { status, error, message };
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  // Encoded once: its length is the Content-Length, and the socket takes the bytes as they are.
  const bytes = body instanceof JsonBytes ? body.bytes : Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'Content-Type': 'application/json;charset=UTF-8', 'Content-Length': bytes.length, ...headers });
  res.end(bytes);
}

function delay(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
