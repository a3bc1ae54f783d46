import { setTimeout as sleep } from 'node:timers/promises';
import { type CommandResult, IP_BIN, ip, run } from './ip-command.js';
import { killNetnsRound, netnsPids } from './teardown.js';

/**
 * One simulated machine: a network namespace with loopback and one interface (eth0, a veth into the
 * network's bridge) at `address`, and a data directory of its own. The filesystem and the process
 * table are the machine's, shared; what a host does not share is its network: it reaches
 * PostgreSQL and the other hosts only over the bridge, and dies as a whole with `kill()`.
 */
export class Host {
  constructor(
    /** The test's name for it ("api", "worker-b"). */
    readonly name: string,
    /** The `ip netns` name. */
    readonly netns: string,
    /** Its IPv4 address on the private network. */
    readonly address: string,
    /** Its data directory (inside the network's state directory; removed at teardown). */
    readonly dataDir: string,
    /** Its veth's end in the root namespace (a bridge port). */
    private readonly veth: string,
  ) {}

  /** `[file, args]` that run `file args` inside this host: for spawn() and friends. */
  command(file: string, args: readonly string[] = []): [string, string[]] {
    return [IP_BIN, ['netns', 'exec', this.netns, file, ...args]];
  }

  /** Runs `file args` inside this host to completion. */
  exec(file: string, args: readonly string[] = []): Promise<CommandResult> {
    const [bin, argv] = this.command(file, args);
    return run(bin, argv);
  }

  /** Pids of every process running inside this host. */
  pids(): number[] {
    return netnsPids(this.netns);
  }

  /**
   * The machine dies: SIGKILL to every process inside the host, repeated until none is left.
   * Nothing gets to shut down (no lease released, no connection closed cleanly). Returns the pids
   * killed. The host itself stays, so services can be started on it again.
   */
  async kill(timeoutMs = 15_000): Promise<number[]> {
    const killed = new Set<number>();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const pids = killNetnsRound(this.netns);
      if (pids.length === 0) return [...killed];
      if (Date.now() > deadline) throw new Error(`host ${this.name}: processes ${pids.join(', ')} survive SIGKILL`);
      for (const pid of pids) killed.add(pid);
      await sleep(20); // a poll for the killed processes to be gone, not a wait for an event
    }
  }

  /**
   * Cuts (false) or restores (true) the host's network cable: its veth goes down, so packets are
   * dropped silently (connections hang until timeouts rather than being refused).
   */
  async setConnected(connected: boolean): Promise<void> {
    await ip('link', 'set', this.veth, connected ? 'up' : 'down');
  }
}
