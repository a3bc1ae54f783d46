import { existsSync, readdirSync } from 'node:fs';
import { appendFile, chown, mkdir, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { run } from './ip-command.js';
import { stopPostgresSync } from './teardown.js';

/** PostgreSQL's binaries: EARSHOT_TEST_PG_BIN, else the newest /usr/lib/postgresql/<version>/bin (Debian's layout). */
export function postgresBinDir(): string {
  const fromEnv = process.env.EARSHOT_TEST_PG_BIN;
  if (fromEnv) return fromEnv;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(path.join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions[0] === undefined) {
    throw new Error(`no PostgreSQL binaries under ${root}: install postgresql or set EARSHOT_TEST_PG_BIN`);
  }
  return path.join(root, versions[0], 'bin');
}

export interface PrivatePostgresOptions {
  /** Directory to create the cluster in (its `data/`, log and unix socket); must not exist yet. */
  dir: string;
  /** Address to listen on (the bridge's: every host reaches it there). */
  listenAddress: string;
  /** Subnet whose clients are trusted without a password ("10.213.5.0/24"). */
  trustSubnet: string;
}

/** The OS user PostgreSQL runs as: it refuses to run as root. */
const PG_USER = 'postgres';

/**
 * A throwaway PostgreSQL cluster for one test file, on the private network: initdb into a temp
 * directory, listen on the bridge address (and a unix socket in the directory) on a free port,
 * trust the network's subnet. Tests stop and start it to simulate a database outage; the network's
 * teardown stops it for good and removes the directory.
 */
export class PrivatePostgres {
  readonly dataDir: string;
  readonly socketDir: string;
  readonly logFile: string;
  /** What initdb + first start took (ms), for the record. */
  readonly timings = { initdbMs: 0, startMs: 0 };
  private isRunning = false;

  private constructor(
    private readonly opts: PrivatePostgresOptions,
    readonly host: string,
    readonly port: number,
    private readonly bin: string,
  ) {
    this.dataDir = path.join(opts.dir, 'data');
    this.socketDir = opts.dir;
    this.logFile = path.join(opts.dir, 'postgres.log');
  }

  static async create(opts: PrivatePostgresOptions): Promise<PrivatePostgres> {
    const pg = new PrivatePostgres(opts, opts.listenAddress, await freePort(opts.listenAddress), postgresBinDir());
    await pg.init();
    await pg.start();
    return pg;
  }

  get running(): boolean {
    return this.isRunning;
  }

  /** A connection URL for database `postgres` as superuser `postgres`, with Earshot's `?schema=`. */
  url(schema = 'earshot'): string {
    return `postgres://${PG_USER}@${this.host}:${this.port}/postgres?schema=${encodeURIComponent(schema)}`;
  }

  /** Starts the server and waits until it accepts connections. */
  async start(): Promise<void> {
    const t0 = Date.now();
    await this.pgCtl(['start', '-w', '-t', '120', '-l', this.logFile]);
    this.isRunning = true;
    if (this.timings.startMs === 0) this.timings.startMs = Date.now() - t0;
  }

  /**
   * Stops the server. `fast`: clients are disconnected, a clean shutdown. `immediate`: the database
   * crashes as in a power cut (no checkpoint; recovery runs at the next start).
   */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    await this.pgCtl(['stop', '-w', '-t', '120', '-m', mode]);
    this.isRunning = false;
  }

  async restart(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    await this.stop(mode);
    await this.start();
  }

  /** The server's log (for failure messages). */
  async log(): Promise<string> {
    return readFile(this.logFile, 'utf8').catch(() => '');
  }

  /** Stops the server at once wherever it is (teardown; synchronous, see stopPostgresSync). */
  kill(): void {
    stopPostgresSync(this.dataDir);
    this.isRunning = false;
  }

  private async init(): Promise<void> {
    const t0 = Date.now();
    await mkdir(this.opts.dir, { recursive: true, mode: 0o700 });
    await chown(this.opts.dir, ...(await pgUserIds()));
    // --no-sync: nothing is flushed to disk; this cluster does not outlive the test.
    await this.asPostgres(path.join(this.bin, 'initdb'), [
      '-D',
      this.dataDir,
      '--no-sync',
      '--auth=trust',
      `--username=${PG_USER}`,
      '--encoding=UTF8',
      '--locale=C',
      '--no-instructions',
    ]);
    await appendFile(
      path.join(this.dataDir, 'postgresql.conf'),
      [
        '',
        '# earshot test cluster',
        `listen_addresses = '${this.host}'`,
        `port = ${this.port}`,
        `unix_socket_directories = '${this.socketDir}'`,
        // A throwaway cluster: flushing to disk only costs time here. Both settings lose data only
        // when the machine itself crashes; a crash of PostgreSQL (stop -m immediate) loses nothing,
        // as the WAL is in the OS's cache. synchronous_commit stays on: off, a crash of PostgreSQL
        // forgets commits it had acknowledged (a completed task would run again), which tests of
        // database outages must not see.
        'fsync = off',
        'full_page_writes = off',
        'max_connections = 200',
        '',
      ].join('\n'),
    );
    await writeFile(
      path.join(this.dataDir, 'pg_hba.conf'),
      `local all all trust\nhost all all ${this.opts.trustSubnet} trust\n`,
    );
    this.timings.initdbMs = Date.now() - t0;
  }

  private async pgCtl(args: string[]): Promise<void> {
    await this.asPostgres(path.join(this.bin, 'pg_ctl'), ['-D', this.dataDir, '-s', ...args]);
  }

  private async asPostgres(file: string, args: string[]): Promise<void> {
    // cwd: the postgres user must be able to read its current directory.
    const r = await run('runuser', ['-u', PG_USER, '--', file, ...args], { cwd: this.opts.dir });
    if (r.code !== 0) {
      throw new Error(`${path.basename(file)} ${args.join(' ')} failed (${r.code}): ${r.stderr}\n${await this.log()}`);
    }
  }
}

async function pgUserIds(): Promise<[number, number]> {
  const line = (await readFile('/etc/passwd', 'utf8')).split('\n').find((l) => l.startsWith(`${PG_USER}:`));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined) throw new Error(`no OS user ${PG_USER} (it runs PostgreSQL)`);
  return [Number(uid), Number(gid)];
}

/**
 * A port free on `address` now. Only this test's processes use the private address, so nothing
 * else can take the port between this check and PostgreSQL binding it.
 */
function freePort(address: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, address, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
