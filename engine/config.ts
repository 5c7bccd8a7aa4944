import { randomBytes } from 'node:crypto';

/** Typed, frozen engine configuration; the only place that reads the environment. */
export interface EngineConfig {
  readonly port: number;
  readonly host: string;
  /** Directory of the embedded SQLite store, or `:memory:`. */
  readonly dataDir: string;
  /** SQLite `synchronous` pragma: `full` makes every acknowledged write survive power loss. */
  readonly sqliteSynchronous: 'full' | 'normal';
  /**
   * Bytes of the SQLite file read through a memory map (0: none, the default). Faster reads of a
   * store larger than the page cache, but the mapped pages count in the engine's RSS.
   */
  readonly sqliteMmapBytes: number;
  /** When set, MongoDB is the store (several engine processes may share it); the embedded SQLite store otherwise. */
  readonly mongodbUri: string | null;
  readonly logLevel: 'error' | 'warn' | 'info' | 'debug';
  /** Credentials given by the operator; generated on first start when absent. */
  readonly bootstrap: {
    readonly writeKey: string | null;
    readonly adminToken: string | null;
    readonly operatorToken: string | null;
  };
  /** A repeated messageId within this window is acknowledged and not processed again (default 24 h). */
  readonly dedupeWindowMs: number;
  /** Segment's limits: 32 KB per message, 500 KB per batch request. */
  readonly maxMessageBytes: number;
  readonly maxBatchBytes: number;
  /** Largest management API (`/api/v1`) JSON body, after gzip decoding (default 1 MB). */
  readonly maxApiBodyBytes: number;
  /** Deepest nesting of arrays and objects in a JSON body, ingest and management alike (default 64). */
  readonly maxJsonDepth: number;
  /**
   * When ingest refuses events rather than fall behind or run out of memory (0 turns a bound off):
   * 429 `backpressure` while processing is behind, 429 `rate_limited` per write key, 503
   * `overloaded` past the concurrent request bound. See ingest-admission.ts.
   */
  readonly ingestLimits: {
    /** Stored events not yet processed beyond which ingest answers 429 (default 100,000). */
    readonly maxPendingEvents: number;
    /** Age of the oldest unprocessed event beyond which ingest answers 429 (default 300 s). */
    readonly maxLagMs: number;
    /** Events per second one write key may send (default 0: no limit). */
    readonly ratePerSecond: number;
    /** Events a write key may send at once on top of its rate (default: one second's worth). */
    readonly rateBurst: number;
    /** Ingest requests handled at once (bodies being read, parsed or stored) beyond which ingest answers 503 (default 1,000). */
    readonly maxConcurrentRequests: number;
  };
  /** The HTTP server's limits against slow clients (slowloris): headers, whole request, idle keep-alive. */
  readonly httpTimeouts: {
    /** Time to receive a request's headers (default 20 s). */
    readonly headersTimeoutMs: number;
    /** Time to receive a whole request, headers and body (default 60 s; 0: none). */
    readonly requestTimeoutMs: number;
    /** How long an idle keep-alive connection stays open (default 65 s, above the usual 60 s of load balancers). */
    readonly keepAliveTimeoutMs: number;
  };
  /** Maximum events the processor takes per round (default 500). */
  readonly processorBatchSize: number;
  /** Lifetime of the processing lease: how soon another engine process takes over processing from one that died (default 15 s). */
  readonly processingLeaseMs: number;
  /** How failed deliveries are retried: backoff from 1 s, bounded by a total time (default 4 h, as Segment) and an attempt count (default 30). */
  readonly deliveryRetry: {
    readonly baseDelayMs: number;
    readonly maxDelayMs: number;
    readonly maxTotalMs: number;
    readonly maxAttempts: number;
  };
  /** Destination functions: sandbox limits per call, the warm isolate pool, and their outbound HTTP. */
  readonly functions: {
    readonly memoryLimitMb: number;
    readonly cpuTimeoutMs: number;
    readonly wallTimeoutMs: number;
    readonly maxIsolates: number;
    readonly idleEvictMs: number;
    /** Lets functions reach private, loopback and link-local addresses (local development and tests only). */
    readonly allowPrivateNetwork: boolean;
    readonly fetchTimeoutMs: number;
    readonly maxResponseBytes: number;
  };
  /** Destination plugins' outbound HTTP (deliveries, test-sends, credential checks). */
  readonly destinations: {
    /** Lets destinations reach private, loopback and link-local addresses (local development and tests only). */
    readonly allowPrivateNetwork: boolean;
  };
  /**
   * How long processed events and activity records are kept, in days (0: forever). A scheduled
   * job purges older ones; journey figures are counters and are kept.
   */
  readonly retention: {
    readonly eventDays: number;
    readonly activityDays: number;
  };
  /** ENGINE_TEST_CLOCK=1: engine time moves forward through POST /api/v1/test-clock/advance (never in production). */
  readonly testClock: boolean;
}

/** The most SQLite maps of a file in the build better-sqlite3 ships (its SQLITE_MAX_MMAP_SIZE, just under 2 GiB). */
const SQLITE_MAX_MMAP_MB = 2047;

/** An environment-variable problem found at start. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Readonly<Record<string, string | undefined>>;

function intVar(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got '${raw}'`);
  }
  return n;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = raw.toLowerCase();
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got '${raw}'`);
  }
  return value as T;
}

function credential(env: Env, name: string): string | null {
  const raw = env[name];
  if (raw === undefined || raw === '') return null;
  if (raw.length < 16 || /[\s:]/.test(raw)) {
    throw new ConfigError(`${name} must be at least 16 characters with no spaces or colons`);
  }
  return raw;
}

function flagVar(env: Env, name: string): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '' || raw === '0' || raw === 'false') return false;
  if (raw === '1' || raw === 'true') return true;
  throw new ConfigError(`${name} must be 1, true, 0 or false, got '${raw}'`);
}

function httpTimeoutsVar(env: Env): EngineConfig['httpTimeouts'] {
  const headersTimeoutMs = intVar(env, 'HTTP_HEADERS_TIMEOUT_MS', 20_000, 100, 3_600_000);
  const requestTimeoutMs = intVar(env, 'HTTP_REQUEST_TIMEOUT_MS', 60_000, 0, 3_600_000);
  // node:http refuses a headers timeout longer than the request timeout.
  if (requestTimeoutMs > 0 && headersTimeoutMs > requestTimeoutMs) {
    throw new ConfigError(`HTTP_HEADERS_TIMEOUT_MS (${headersTimeoutMs}) must not be longer than HTTP_REQUEST_TIMEOUT_MS (${requestTimeoutMs})`);
  }
  return Object.freeze({
    headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs: intVar(env, 'HTTP_KEEP_ALIVE_TIMEOUT_MS', 65_000, 100, 3_600_000),
  });
}

function ingestLimitsVar(env: Env): EngineConfig['ingestLimits'] {
  const ratePerSecond = intVar(env, 'INGEST_RATE_LIMIT_PER_SECOND', 0, 0, 10_000_000);
  return Object.freeze({
    maxPendingEvents: intVar(env, 'INGEST_MAX_PENDING_EVENTS', 100_000, 0, 1_000_000_000),
    maxLagMs: intVar(env, 'INGEST_MAX_LAG_SECONDS', 300, 0, 30 * 86_400) * 1000,
    ratePerSecond,
    rateBurst: intVar(env, 'INGEST_RATE_LIMIT_BURST', Math.max(ratePerSecond, 1), 1, 100_000_000),
    maxConcurrentRequests: intVar(env, 'INGEST_MAX_CONCURRENT_REQUESTS', 1_000, 0, 1_000_000),
  });
}

/** MONGODB_URI, checked for its scheme here so that a typo stops the engine naming the variable (not with a driver stack trace). */
function mongodbUriVar(env: Env): string | null {
  const raw = env['MONGODB_URI'];
  if (raw === undefined || raw === '') return null;
  if (!/^mongodb(\+srv)?:\/\/[^/?#]+/.test(raw)) {
    throw new ConfigError("MONGODB_URI must be a MongoDB connection string (mongodb://host[:port][/database] or mongodb+srv://…)");
  }
  return raw;
}

function testClockVar(env: Env): boolean {
  const raw = env['ENGINE_TEST_CLOCK'];
  if (raw === undefined || raw === '' || raw === '0') return false;
  if (raw !== '1') throw new ConfigError(`ENGINE_TEST_CLOCK must be 1 or unset, got '${raw}'`);
  if (env['NODE_ENV'] === 'production') throw new ConfigError('ENGINE_TEST_CLOCK is refused when NODE_ENV=production');
  return true;
}

/** Reads the configuration from `env` (the process environment by default). */
export function loadConfig(env: Env = process.env): EngineConfig {
  return Object.freeze({
    port: intVar(env, 'PORT', 3000, 0, 65535),
    host: env['HOST'] || '0.0.0.0',
    dataDir: env['DATA_DIR'] || './data',
    sqliteSynchronous: oneOf(env, 'SQLITE_SYNCHRONOUS', ['full', 'normal'] as const, 'full'),
    sqliteMmapBytes: intVar(env, 'SQLITE_MMAP_MB', 0, 0, SQLITE_MAX_MMAP_MB) * 1024 * 1024,
    mongodbUri: mongodbUriVar(env),
    logLevel: oneOf(env, 'LOG_LEVEL', ['error', 'warn', 'info', 'debug'] as const, 'info'),
    bootstrap: Object.freeze({
      writeKey: credential(env, 'ENGINE_WRITE_KEY'),
      adminToken: credential(env, 'ENGINE_ADMIN_TOKEN'),
      operatorToken: credential(env, 'ENGINE_OPERATOR_TOKEN'),
    }),
    dedupeWindowMs: intVar(env, 'DEDUPE_WINDOW_HOURS', 24, 1, 24 * 365) * 3_600_000,
    maxMessageBytes: intVar(env, 'MAX_MESSAGE_BYTES', 32 * 1024, 1024, 1024 * 1024),
    maxBatchBytes: intVar(env, 'MAX_BATCH_BYTES', 500 * 1024, 1024, 16 * 1024 * 1024),
    maxApiBodyBytes: intVar(env, 'MAX_API_BODY_BYTES', 1024 * 1024, 1024, 64 * 1024 * 1024),
    maxJsonDepth: intVar(env, 'MAX_JSON_DEPTH', 64, 8, 10_000),
    ingestLimits: ingestLimitsVar(env),
    httpTimeouts: httpTimeoutsVar(env),
    processorBatchSize: intVar(env, 'PROCESSOR_BATCH_SIZE', 500, 1, 10_000),
    processingLeaseMs: intVar(env, 'PROCESSING_LEASE_MS', 15_000, 1_000, 600_000),
    deliveryRetry: Object.freeze({
      baseDelayMs: intVar(env, 'DELIVERY_RETRY_BASE_MS', 1_000, 10, 3_600_000),
      maxDelayMs: intVar(env, 'DELIVERY_RETRY_MAX_DELAY_MS', 30 * 60_000, 10, 24 * 3_600_000),
      maxTotalMs: intVar(env, 'DELIVERY_RETRY_HOURS', 4, 1, 72) * 3_600_000,
      maxAttempts: intVar(env, 'DELIVERY_MAX_ATTEMPTS', 30, 1, 1000),
    }),
    functions: Object.freeze({
      memoryLimitMb: intVar(env, 'FUNCTIONS_MEMORY_MB', 128, 8, 4096),
      cpuTimeoutMs: intVar(env, 'FUNCTIONS_CPU_TIMEOUT_MS', 5_000, 10, 600_000),
      wallTimeoutMs: intVar(env, 'FUNCTIONS_WALL_TIMEOUT_MS', 10_000, 10, 600_000),
      maxIsolates: intVar(env, 'FUNCTIONS_MAX_ISOLATES', 64, 1, 10_000),
      idleEvictMs: intVar(env, 'FUNCTIONS_IDLE_EVICT_SECONDS', 300, 1, 86_400) * 1000,
      allowPrivateNetwork: flagVar(env, 'FUNCTIONS_ALLOW_PRIVATE_NETWORK'),
      fetchTimeoutMs: intVar(env, 'FUNCTIONS_FETCH_TIMEOUT_MS', 10_000, 10, 600_000),
      maxResponseBytes: intVar(env, 'FUNCTIONS_MAX_RESPONSE_BYTES', 1_048_576, 1024, 104_857_600),
    }),
    destinations: Object.freeze({
      allowPrivateNetwork: flagVar(env, 'DESTINATIONS_ALLOW_PRIVATE_NETWORK'),
    }),
    retention: Object.freeze({
      eventDays: intVar(env, 'EVENT_RETENTION_DAYS', 30, 0, 36_500),
      activityDays: intVar(env, 'ACTIVITY_RETENTION_DAYS', 90, 0, 36_500),
    }),
    testClock: testClockVar(env),
  });
}

/**
 * A configuration for tests: in-memory store, quiet logs, destinations allowed to reach the
 * loopback sinks tests deliver to (production refuses private addresses), overridable.
 */
export function testConfig(overrides: Partial<EngineConfig> = {}): EngineConfig {
  return Object.freeze({
    ...loadConfig({ DATA_DIR: ':memory:', LOG_LEVEL: 'error', PORT: '0', DESTINATIONS_ALLOW_PRIVATE_NETWORK: '1' }), ...overrides,
  });
}

/** A random secret with a readable prefix (`wk_`, `adm_`, `op_`). */
export function generateSecret(prefix: string): string {
  return `${prefix}_${randomBytes(24).toString('base64url')}`;
}
