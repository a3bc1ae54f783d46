import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { claimNetwork, ownsStateDir } from './claim.js';
import { Host } from './host.js';
import { ip } from './ip-command.js';
import {
  bridgeName,
  checkHostName,
  gatewayAddress,
  hostAddress,
  MAX_HOSTS,
  netnsName,
  subnet,
  vethName,
} from './names.js';
import { PrivatePostgres } from './postgres.js';
import { removeNetworkSync } from './teardown.js';

export interface NetworkOptions {
  /** The hosts to create, by name ("api", "worker-a"); each gets its own namespace, address and data directory. */
  hosts: readonly string[];
}

/**
 * A private network for one test file: a bridge in the root namespace (where the test and
 * PostgreSQL run) at `gateway`, and one host per name, each in its own network namespace. Call
 * `teardown()` in afterAll; it also runs when the process exits, and a crashed run's network is
 * removed by the next run that creates one.
 */
export class Network {
  readonly hosts: ReadonlyMap<string, Host>;
  private postgres: PrivatePostgres | null = null;
  private tornDown = false;
  private readonly onExit = () => this.teardownSync();

  constructor(
    /** The network's number N: subnet 10.213.N.0/24, names eshotN… */
    readonly index: number,
    /** Its state directory: hosts' data directories, the PostgreSQL cluster. */
    readonly dir: string,
    hosts: Host[],
  ) {
    this.hosts = new Map(hosts.map((h) => [h.name, h]));
    process.once('exit', this.onExit);
  }

  get bridge(): string {
    return bridgeName(this.index);
  }

  /** "10.213.N.0/24" */
  get subnet(): string {
    return subnet(this.index);
  }

  /** The bridge's address: the root namespace as the hosts see it (the test, PostgreSQL). */
  get gateway(): string {
    return gatewayAddress(this.index);
  }

  host(name: string): Host {
    const host = this.hosts.get(name);
    if (host === undefined) throw new Error(`no host ${name} (hosts: ${[...this.hosts.keys()].join(', ')})`);
    return host;
  }

  /** Creates and starts this network's PostgreSQL (one per network), listening on the gateway address. */
  async startPostgres(): Promise<PrivatePostgres> {
    if (this.postgres !== null) throw new Error('this network runs a PostgreSQL already');
    this.postgres = await PrivatePostgres.create({
      dir: path.join(this.dir, 'pg'),
      listenAddress: this.gateway,
      trustSubnet: this.subnet,
    });
    return this.postgres;
  }

  /**
   * Removes everything: kills every process on every host, stops PostgreSQL, deletes the veths,
   * namespaces and bridge and the state directory (data directories included). Idempotent.
   */
  async teardown(): Promise<void> {
    this.teardownSync();
  }

  private teardownSync(): void {
    if (this.tornDown) return;
    this.tornDown = true;
    process.removeListener('exit', this.onExit);
    // Only while the number is still this process's: a network reaped by another run (whose
    // owner check misfired) may have been claimed again since, and must not be removed from under it.
    if (ownsStateDir(this.dir)) removeNetworkSync(this.index, this.dir);
  }
}

/** Creates a private network with the given hosts (see Network); on failure, removes what it created. */
export async function createNetwork(opts: NetworkOptions): Promise<Network> {
  if (opts.hosts.length === 0 || opts.hosts.length > MAX_HOSTS) throw new Error(`1 to ${MAX_HOSTS} hosts`);
  for (const name of opts.hosts) checkHostName(name);
  if (new Set(opts.hosts).size !== opts.hosts.length) throw new Error(`host names repeat: ${opts.hosts.join(', ')}`);
  const { index, dir } = claimNetwork();
  const hosts = opts.hosts.map(
    (name, i) =>
      new Host(name, netnsName(index, name), hostAddress(index, i), path.join(dir, 'hosts', name), vethName(index, i)),
  );
  // Constructed first, so that a failure below is cleaned up by the same teardown.
  const network = new Network(index, dir, hosts);
  try {
    const bridge = bridgeName(index);
    await ip('link', 'add', bridge, 'type', 'bridge');
    await ip('addr', 'add', `${gatewayAddress(index)}/24`, 'dev', bridge);
    await ip('link', 'set', bridge, 'up');
    await Promise.all(
      hosts.map(async (host, i) => {
        await mkdir(host.dataDir, { recursive: true });
        await ip('netns', 'add', host.netns);
        const veth = vethName(index, i);
        await ip('link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', host.netns);
        await ip('link', 'set', veth, 'master', bridge, 'up');
        await ip('-n', host.netns, 'link', 'set', 'lo', 'up');
        await ip('-n', host.netns, 'addr', 'add', `${host.address}/24`, 'dev', 'eth0');
        await ip('-n', host.netns, 'link', 'set', 'eth0', 'up');
      }),
    );
  } catch (err) {
    await network.teardown();
    throw err;
  }
  return network;
}
