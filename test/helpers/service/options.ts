import type { Transcript } from '../../../src/core/transcript.js';
import type { FaultConfig } from '../../../src/engines/faulty/faulty.engine.js';

/** Settings every e2e service starts with: short leases and backoffs so recovery is quick to observe. */
export const E2E_ENV: Readonly<Record<string, string>> = {
  EARSHOT_HOST: '127.0.0.1',
  EARSHOT_PORT: '0',
  EARSHOT_WORKERS: '1',
  EARSHOT_CONCURRENCY: '2',
  EARSHOT_LEASE_MS: '3000',
  EARSHOT_HEARTBEAT_MS: '500',
  EARSHOT_RETRY_DELAYS_MS: '200,200,200',
  EARSHOT_SHUTDOWN_GRACE_MS: '1000',
  EARSHOT_SSE_HEARTBEAT_MS: '1000',
  EARSHOT_LOG_LEVEL: 'info',
  EARSHOT_LOG_FORMAT: 'json',
};

export interface ServiceOptions {
  /** EARSHOT_* variables on top of E2E_ENV (numbers are stringified). */
  env?: Record<string, string | number>;
  /** Faults the workers' engines inject (EARSHOT_TEST_FAULTS); results still come from PocketSphinx. */
  faults?: FaultConfig;
  /** Wait at start until every worker has loaded its engines and reports idle (default true when workers > 0). */
  waitForWorkers?: boolean;
  /**
   * The simulated machine to run on (a Host of test/helpers/hosts): the processes start inside its
   * network namespace and the server listens on its address. Default: this machine, on loopback.
   */
  host?: ProcessHost;
}

/** Where a test service's processes run: what ServiceOptions.host needs of a host. */
export interface ProcessHost {
  /** The address its servers listen on and are reached at. */
  readonly address: string;
  /** Its data directory; a service started there makes its own temp directory inside. */
  readonly dataDir: string;
  /** `[file, args]` that run `file args` on the host. */
  command(file: string, args: readonly string[]): [string, string[]];
}

/** One of a server's supervised workers, as GET /v1/admin/workers shows it (`supervised`). */
export type { SupervisedWorkerView as WorkerView } from '../../../src/api/schemas/worker.schema.js';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** The JSON transcript as served (`partial` only on unfinished ones). */
export type TranscriptJson = Transcript;

export type User = 'alice' | 'root';
