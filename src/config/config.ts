import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../core/errors/index.js';

const bool = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no'])])
  .transform((v) => v === true || v === 'true' || v === '1' || v === 'yes');
const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);
const msList = z
  .union([z.array(z.number()), z.string()])
  .transform((v) => (typeof v === 'string' ? v.split(',').map((s) => Number(s.trim())) : v))
  .pipe(z.array(z.number().int().min(0)).min(1));

/**
 * Bounds of a chunk's length, for the setting and the per-task API option alike. Below 2 s a chunk
 * is too short to carry context; PocketSphinx refuses more than 600 s and OpenAI's upload limit is
 * about 13 min, so 300 s leaves both room.
 */
export const CHUNK_SECONDS_RANGE = Object.freeze({ min: 2, max: 300 });

/** Retry backoff: 5 s, 30 s, 2 min. Also what a TaskStore uses when it is given no delays. */
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = Object.freeze([5_000, 30_000, 120_000]);

/**
 * A recording whose length ffprobe cannot tell (a container without one) gets the time budget of
 * one this long: assuming a long file is better than killing a healthy run.
 */
export const UNKNOWN_DURATION_SECONDS = 4 * 3600;

/** Speech engines Earshot can run (one folder each under src/engines). */
export const ENGINE_NAMES = ['pocketsphinx', 'sherpa-onnx', 'openai'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

/** Model families the sherpa-onnx engine can load. */
export const SHERPA_MODEL_TYPES = ['whisper', 'sense-voice', 'paraformer'] as const;
export type SherpaModelType = (typeof SHERPA_MODEL_TYPES)[number];

interface Setting {
  env: string;
  schema: z.ZodTypeAny;
  doc: string;
  /** What the README shows as the default when it depends on the machine. */
  shownDefault?: string;
  /** A former name of `env`, still read (with a deprecation warning) when `env` is unset. */
  deprecatedEnv?: string;
  /** A credential: never printed (`earshot config` masks it). */
  secret?: boolean;
}

/**
 * Every setting, with its environment variable, default and meaning. The README's configuration
 * table is generated from the same descriptions (`earshot config --markdown`), so they never drift.
 */
export const SETTINGS = {
  dataDir: {
    env: 'EARSHOT_DATA_DIR',
    schema: z.string().min(1).default('./data'),
    doc: 'Data directory: the SQLite database, uploads and work files.',
  },
  db: {
    env: 'EARSHOT_DB',
    schema: z.string().default(''),
    doc: 'Task store: empty = SQLite file in the data directory; `postgres://user@host/db?schema=earshot` for PostgreSQL.',
  },
  host: { env: 'EARSHOT_HOST', schema: z.string().default('127.0.0.1'), doc: 'Address the HTTP server listens on.' },
  port: { env: 'EARSHOT_PORT', schema: int(0, 65535).default(8080), doc: 'HTTP port (0 = any free port).' },
  workers: {
    env: 'EARSHOT_WORKERS',
    schema: int(0, 64).default(1),
    doc: 'Worker processes `serve` supervises (0 = none; run `earshot worker` elsewhere).',
  },
  concurrency: {
    env: 'EARSHOT_CONCURRENCY',
    schema: int(1, 256).default(os.availableParallelism()),
    doc: 'Engine instances per worker: chunks recognised in parallel.',
    shownDefault: 'CPU cores',
  },
  workerTasks: {
    env: 'EARSHOT_WORKER_TASKS',
    schema: int(0, 1024).default(0),
    doc: 'Tasks one worker runs at once, their chunks taking turns on its engines (0 = twice `EARSHOT_CONCURRENCY`).',
  },
  engine: {
    env: 'EARSHOT_ENGINE',
    schema: z.enum(ENGINE_NAMES).default('pocketsphinx'),
    doc: 'Speech engine.',
  },
  pocketsphinxModelDir: {
    env: 'EARSHOT_POCKETSPHINX_MODEL_DIR',
    schema: z.string().default('/usr/share/pocketsphinx/model/en-us'),
    doc: 'PocketSphinx model directory (acoustic model `en-us/`, `en-us.lm.bin`, `cmudict-en-us.dict`).',
  },
  sherpaModelDir: {
    env: 'EARSHOT_SHERPA_MODEL_DIR',
    schema: z.string().default(''),
    doc: 'sherpa-onnx model directory (Whisper/SenseVoice/Paraformer export).',
  },
  sherpaModelType: {
    env: 'EARSHOT_SHERPA_MODEL_TYPE',
    schema: z.enum(SHERPA_MODEL_TYPES).default('whisper'),
    doc: 'Kind of sherpa-onnx model in the model directory.',
  },
  openaiBaseUrl: {
    env: 'EARSHOT_OPENAI_BASE_URL',
    schema: z.string().default('http://127.0.0.1:8000/v1'),
    doc: 'OpenAI-compatible transcription server base URL.',
  },
  openaiApiKey: {
    env: 'EARSHOT_OPENAI_API_KEY',
    schema: z.string().default(''),
    secret: true,
    doc: 'API key for the OpenAI-compatible server.',
  },
  openaiModel: {
    env: 'EARSHOT_OPENAI_MODEL',
    schema: z.string().default('whisper-1'),
    doc: 'Model name sent to the OpenAI-compatible server.',
  },
  llmBaseUrl: {
    env: 'EARSHOT_LLM_BASE_URL',
    schema: z
      .union([
        z.literal(''),
        z.string().regex(/^https?:\/\/[^/\s]+/, 'must be an http(s) URL such as http://host:port/v1'),
      ])
      .default(''),
    doc: 'OpenAI-compatible chat-completions server (llama.cpp, Ollama, vLLM, a hosted API) for the `summary` and `polish` task options, e.g. `http://127.0.0.1:11434/v1`. Empty = post-processing off: nothing is sent anywhere and those options are refused (422 `llm_not_configured`).',
  },
  llmApiKey: {
    env: 'EARSHOT_LLM_API_KEY',
    schema: z.string().default(''),
    secret: true,
    doc: 'API key for the LLM server (sent as a Bearer token; local servers usually ignore it).',
  },
  llmModel: {
    env: 'EARSHOT_LLM_MODEL',
    schema: z.string().min(1).default('default'),
    doc: 'Model name sent to the LLM server (Ollama and hosted APIs need a real one; a llama.cpp server answers with the model it loaded).',
  },
  llmWindowTokens: {
    env: 'EARSHOT_LLM_WINDOW_TOKENS',
    // Counted as characters / 4 (the models differ in tokenizers; see docs/architecture.md).
    schema: int(500, 1_000_000).default(3000),
    doc: 'Most tokens (estimated as characters / 4) one LLM request sends, prompt included; long transcripts are cut into windows below it. Leave room in the model context for the answer: about half the context is safe.',
  },
  llmTimeoutMs: {
    env: 'EARSHOT_LLM_TIMEOUT_MS',
    schema: int(100).default(60_000),
    doc: 'An LLM call that gets no response, or no streamed token, for this long is abandoned and retried (a slow but steadily streaming model is never cut).',
  },
  llmRetries: {
    env: 'EARSHOT_LLM_RETRIES',
    schema: int(0, 20).default(4),
    doc: 'Retries of one LLM call after a 429, a 5xx, a timeout or a cut-off stream, with exponential backoff; then the summary or polish fails (the transcript never does).',
  },
  llmRetryBaseMs: {
    env: 'EARSHOT_LLM_RETRY_BASE_MS',
    schema: int(1).default(1000),
    doc: 'First LLM retry delay; doubled at each retry (a `Retry-After` header wins, up to a minute).',
  },
  llmConcurrency: {
    env: 'EARSHOT_LLM_CONCURRENCY',
    schema: int(1, 64).default(2),
    doc: 'Most summaries and polishes running at once in the whole deployment (every server sharing the store), one LLM request each.',
  },
  llmStream: {
    env: 'EARSHOT_LLM_STREAM',
    schema: bool.default(true),
    doc: 'Ask the LLM server for streamed answers (`false` for servers that cannot stream; the timeout then covers the whole answer).',
  },
  language: { env: 'EARSHOT_LANGUAGE', schema: z.string().default('en'), doc: 'Default recognition language.' },
  maxChunkSeconds: {
    env: 'EARSHOT_MAX_CHUNK_SECONDS',
    schema: z.coerce.number().min(CHUNK_SECONDS_RANGE.min).max(CHUNK_SECONDS_RANGE.max).default(30),
    doc: 'Longest chunk sent to the engine; chunks are cut at silences below this.',
  },
  auth: {
    env: 'EARSHOT_AUTH',
    schema: z.enum(['token', 'none']).default('token'),
    doc: '`token`: Bearer API tokens. `none`: single-user mode, refused unless the host is loopback.',
  },
  maxUploadBytes: {
    env: 'EARSHOT_MAX_UPLOAD_BYTES',
    schema: int(1).default(2 * 1024 ** 3),
    doc: 'Largest upload or fetched URL body (413 above it).',
  },
  maxQueued: {
    env: 'EARSHOT_MAX_QUEUED',
    schema: int(1).default(1000),
    doc: 'Most queued tasks; new tasks get 429 with Retry-After beyond it.',
  },
  urlFetchTimeoutMs: {
    env: 'EARSHOT_URL_FETCH_TIMEOUT_MS',
    schema: int(100).default(120_000),
    doc: 'Time limit for fetching a task `url`.',
  },
  syncMaxBytes: {
    env: 'EARSHOT_SYNC_MAX_BYTES',
    schema: int(0).default(10 * 1024 ** 2),
    doc: 'Largest input `?wait=true` transcribes synchronously.',
  },
  syncMaxSeconds: {
    env: 'EARSHOT_SYNC_MAX_SECONDS',
    schema: z.coerce.number().min(0).default(60),
    doc: 'Longest recording `?wait=true` transcribes synchronously.',
  },
  leaseMs: {
    env: 'EARSHOT_LEASE_MS',
    schema: int(1000).default(15_000),
    doc: 'Task lease; a worker silent for this long loses its task to another.',
  },
  heartbeatMs: {
    env: 'EARSHOT_HEARTBEAT_MS',
    schema: int(100).default(3_000),
    doc: 'How often a worker renews its lease and checks for cancellation.',
  },
  maxAttempts: {
    env: 'EARSHOT_MAX_ATTEMPTS',
    schema: int(1, 100).default(3),
    doc: 'Attempts per task before it fails for good.',
  },
  retryDelaysMs: {
    env: 'EARSHOT_RETRY_DELAYS_MS',
    schema: msList.default([...DEFAULT_RETRY_DELAYS_MS]),
    doc: 'Backoff before each retry, comma-separated ms.',
  },
  timeBudgetBaseSeconds: {
    env: 'EARSHOT_TIME_BUDGET_BASE_SECONDS',
    schema: z.coerce.number().min(1).default(300),
    doc: `Time budget of one attempt: this many seconds plus \`EARSHOT_TIME_BUDGET_FACTOR\` per second of audio (an unknown duration counts as ${UNKNOWN_DURATION_SECONDS / 3600} h).`,
  },
  timeBudgetPerAudioSecond: {
    env: 'EARSHOT_TIME_BUDGET_FACTOR',
    schema: z.coerce.number().min(0).default(3),
    doc: 'Seconds of time budget per second of audio (see `EARSHOT_TIME_BUDGET_BASE_SECONDS`).',
  },
  allowPrivateNetworks: {
    env: 'EARSHOT_ALLOW_PRIVATE_NETWORKS',
    deprecatedEnv: 'EARSHOT_WEBHOOK_ALLOW_PRIVATE',
    schema: bool.default(false),
    doc: 'Let task `url` downloads and `callback_url` webhooks reach private or loopback addresses.',
  },
  shutdownGraceMs: {
    env: 'EARSHOT_SHUTDOWN_GRACE_MS',
    schema: int(0).default(10_000),
    doc: 'On SIGTERM: time for in-flight work to finish before it is released.',
  },
  sseHeartbeatMs: {
    env: 'EARSHOT_SSE_HEARTBEAT_MS',
    schema: int(100).default(15_000),
    doc: 'SSE comment heartbeat interval.',
  },
  maxSseClients: {
    env: 'EARSHOT_MAX_SSE_CLIENTS',
    schema: int(1).default(1000),
    doc: 'Most concurrent SSE streams (503 beyond).',
  },
  eventRetentionMs: {
    env: 'EARSHOT_EVENT_RETENTION_MS',
    schema: int(1000).default(24 * 3600 * 1000),
    doc: 'How long task events stay available for SSE resume.',
  },
  liveMaxSessions: {
    env: 'EARSHOT_LIVE_MAX_SESSIONS',
    // Measured (docs/benchmarks.md): 2 cores keep p95 turn latency under 2 s with 6 real-time sessions.
    schema: int(0, 10_000).default(os.availableParallelism() * 3),
    doc: 'Most concurrent live (`/v1/realtime`) sessions on this server; the next is refused (0 = live sessions off).',
    shownDefault: '3 × CPU cores',
  },
  liveMaxSessionSeconds: {
    env: 'EARSHOT_LIVE_MAX_SESSION_SECONDS',
    // At most a day: a saved session's WAV (24 kHz PCM16) must stay under the format's 4 GiB.
    schema: int(1, 24 * 3600).default(4 * 3600),
    doc: 'Longest live session (wall-clock seconds, at most 86400), then it is closed.',
  },
  liveIdleTimeoutSeconds: {
    env: 'EARSHOT_LIVE_IDLE_TIMEOUT_SECONDS',
    schema: int(1).default(60),
    doc: 'A live session that sends nothing for this long is closed.',
  },
  liveMaxMessageBytes: {
    env: 'EARSHOT_LIVE_MAX_MESSAGE_BYTES',
    schema: int(1024).default(4 * 1024 * 1024),
    doc: 'Largest live client message; larger ones are refused (the session goes on) up to twice this, beyond which the socket is closed.',
  },
  liveMaxBufferedSeconds: {
    env: 'EARSHOT_LIVE_MAX_BUFFERED_SECONDS',
    schema: int(1, 600).default(10),
    doc: 'Audio a live session may have received but not yet recognised; beyond it the server stops reading the socket until it catches up.',
  },
  liveMaxOutgoingBytes: {
    env: 'EARSHOT_LIVE_MAX_OUTGOING_BYTES',
    schema: int(1024).default(1024 * 1024),
    doc: 'Events queued for a live client that does not read them; beyond it the session is closed.',
  },
  logLevel: {
    env: 'EARSHOT_LOG_LEVEL',
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    doc: 'Log level.',
  },
  webhookMaxAttempts: {
    env: 'EARSHOT_WEBHOOK_MAX_ATTEMPTS',
    schema: int(1, 100).default(10),
    doc: 'Tries of one task callback (`callback_url`) before its delivery is marked failed.',
  },
  webhookTimeoutMs: {
    env: 'EARSHOT_WEBHOOK_TIMEOUT_MS',
    schema: int(100, 600_000).default(10_000),
    doc: 'Time limit of one callback try (connect and answer); longer counts as a failed try.',
  },
  webhookBaseDelayMs: {
    env: 'EARSHOT_WEBHOOK_BASE_DELAY_MS',
    schema: int(1).default(5_000),
    doc: 'Wait after the first failed callback try; doubled after each further one (at most a day).',
  },
  webhookPollMs: {
    env: 'EARSHOT_WEBHOOK_POLL_MS',
    schema: int(10).default(2_000),
    doc: 'Longest an idle server waits before it looks for callbacks to send (it looks at once when a task it knows of ends, and when a retry falls due).',
  },
  webhookConcurrency: {
    env: 'EARSHOT_WEBHOOK_CONCURRENCY',
    schema: int(1, 256).default(8),
    doc: 'Callbacks one server sends at once.',
  },
  workerHeartbeatMs: {
    env: 'EARSHOT_WORKER_HEARTBEAT_MS',
    schema: int(100).default(5_000),
    doc: 'How often a worker renews its row in the worker registry and checks for a drain request (at most half of `EARSHOT_LEASE_MS`; a worker silent for a lease is shown stale).',
  },
  workerHost: {
    env: 'EARSHOT_WORKER_HOST',
    schema: z.string().default(''),
    doc: "Host name a worker reports in the worker registry (empty = the machine's hostname); set it in containers, whose hostnames are random.",
  },
  mediaStore: {
    env: 'EARSHOT_MEDIA_STORE',
    // The kinds are listed in src/storage/media-store.ts (MEDIA_STORE_KINDS); config stays free of imports from there.
    schema: z.enum(['local', 'database']).default('local'),
    doc: 'Where uploads and saved live sessions are kept. `local`: files in the data directory (several nodes must mount the same one). `database`: in PostgreSQL (`EARSHOT_DB` must be a PostgreSQL URL), so API servers and workers share nothing but the database; each node then only keeps copies while it probes an upload or runs a task.',
  },
} as const satisfies Record<string, Setting>;

type Settings = typeof SETTINGS;
export type Config = Readonly<{ [K in keyof Settings]: z.output<Settings[K]['schema']> }>;
export type ConfigOverrides = Partial<{ [K in keyof Settings]: unknown }>;

const schema = z.object(
  Object.fromEntries(Object.entries(SETTINGS).map(([k, s]) => [k, s.schema])) as {
    [K in keyof Settings]: Settings[K]['schema'];
  },
);

/**
 * Reads settings once: explicit overrides (CLI flags) win over environment variables, which win over
 * defaults. Returns a frozen object; invalid values fail fast with every problem listed.
 */
export function loadConfig(
  overrides: ConfigOverrides = {},
  env: NodeJS.ProcessEnv = process.env,
  warn: (message: string) => void = (message) => process.emitWarning(message, 'DeprecationWarning'),
): Config {
  const raw: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(SETTINGS) as [keyof Settings, Setting][]) {
    const fromFlag = overrides[key];
    if (fromFlag !== undefined) raw[key] = fromFlag;
    else if (isSet(env[setting.env])) raw[key] = env[setting.env];
    else if (setting.deprecatedEnv !== undefined && isSet(env[setting.deprecatedEnv])) {
      warn(`${setting.deprecatedEnv} is deprecated; set ${setting.env} instead`);
      raw[key] = env[setting.deprecatedEnv];
    }
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => {
      const key = String(i.path[0]) as keyof Settings;
      return `${SETTINGS[key]?.env ?? key}: ${i.message}`;
    });
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  const config = { ...parsed.data, dataDir: path.resolve(parsed.data.dataDir) };
  assertMediaStoreFits(config);
  return Object.freeze(config) as Config;
}

/** Media in the database needs PostgreSQL: the SQLite store lives on one node's disk anyway. */
function assertMediaStoreFits(config: Pick<Config, 'mediaStore' | 'db'>): void {
  if (config.mediaStore === 'database' && !/^postgres(ql)?:\/\//i.test(config.db)) {
    throw new ConfigError(
      'invalid configuration: EARSHOT_MEDIA_STORE=database needs a PostgreSQL store (set EARSHOT_DB=postgres://…); with SQLite use EARSHOT_MEDIA_STORE=local',
    );
  }
}

function isSet(value: string | undefined): value is string {
  return value !== undefined && value !== '';
}

/** A setting's default, for modules that need it without a loaded config (engine constructors, CLI help). */
export function settingDefault<K extends keyof Settings>(key: K): z.output<Settings[K]['schema']> {
  return (SETTINGS[key].schema as z.ZodTypeAny).parse(undefined);
}

/**
 * Tasks a worker runs at once. Twice its engines by default: while one task is decoded, analysed or
 * stored, another's chunks keep the engines busy, so short recordings do not leave them idle.
 */
export function tasksPerWorker(config: Pick<Config, 'workerTasks' | 'concurrency'>): number {
  return config.workerTasks > 0 ? config.workerTasks : 2 * config.concurrency;
}

/**
 * The time one attempt may take. A fixed timeout is wrong for multi-hour files, so it scales with
 * the recording's duration.
 */
export function timeBudgetSeconds(
  config: Pick<Config, 'timeBudgetBaseSeconds' | 'timeBudgetPerAudioSecond'>,
  durationSeconds: number | null,
): number {
  return config.timeBudgetBaseSeconds + config.timeBudgetPerAudioSecond * (durationSeconds ?? UNKNOWN_DURATION_SECONDS);
}

/** Whether LLM post-processing (summary, polish) is on: only with a server configured. */
export function llmEnabled(config: Pick<Config, 'llmBaseUrl'>): boolean {
  return config.llmBaseUrl !== '';
}

/** The SQLite default lives in the data directory, so one folder is the whole installation. */
export function storeUrl(config: Pick<Config, 'db' | 'dataDir'>): string {
  return config.db !== '' ? config.db : path.join(config.dataDir, 'earshot.db');
}

/** The host name a worker reports in the registry and builds its default id from. */
export function workerHost(config: Pick<Config, 'workerHost'>): string {
  return config.workerHost !== '' ? config.workerHost : os.hostname();
}

/** Markdown table of every setting (README's configuration section). */
export function settingsTable(): string {
  const rows = (Object.values(SETTINGS) as Setting[]).map((s) => {
    const def = s.schema.safeParse(undefined);
    const value = def.success ? JSON.stringify(def.data) : '""';
    const shown = s.shownDefault ?? (value === '""' ? '' : `\`${value}\``);
    const formerly = s.deprecatedEnv === undefined ? '' : ` Formerly \`${s.deprecatedEnv}\` (still read, deprecated).`;
    return `| \`${s.env}\` | ${shown} | ${s.doc}${formerly} |`;
  });
  return ['| Variable | Default | Meaning |', '| --- | --- | --- |', ...rows].join('\n');
}

/** Environment variables holding credentials, masked wherever the config is shown. */
export const SECRET_ENV_NAMES: readonly string[] = (Object.values(SETTINGS) as Setting[])
  .filter((s) => s.secret === true)
  .map((s) => s.env);

/** The config as environment variables, so child processes (workers) see exactly what the parent resolved from flags. */
export function configToEnv(config: Config): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, setting] of Object.entries(SETTINGS)) {
    const value = config[key as keyof Config];
    env[setting.env] = Array.isArray(value) ? value.join(',') : String(value);
  }
  return env;
}
