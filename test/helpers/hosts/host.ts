import { type CommandResult, IP_BIN, ip, run } from './ip-command.js';
import { killNetnsSync, netnsPids } from './teardown.js';

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
  kill(): number[] {
    return killNetnsSync(this.netns);
  }

  /**
   * Cuts (false) or restores (true) the host's network cable: its veth goes down, so packets are
   * dropped silently (connections hang until timeouts rather than being refused).
   */
  async setConnected(connected: boolean): Promise<void> {
    await ip('link', 'set', this.veth, connected ? 'up' : 'down');
  }
}
