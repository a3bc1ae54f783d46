/**
 * The separate-hosts harness itself (test/helpers/hosts): hosts reach the bridge and each other but
 * not the machine's loopback, the test reaches every host, a killed host loses every process, an
 * unplugged host is unreachable until plugged in again, and a crashed run's network (owner process
 * gone) is removed by the next run without touching one whose owner is alive.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createNetwork,
  type Host,
  hostsSupport,
  listLinks,
  listNetns,
  type Network,
  reapStale,
  run,
} from '../../helpers/hosts/index.js';
import { processAlive, waitForExit } from '../../helpers/service/index.js';

const support = hostsSupport();
let network: Network;
const started: ChildProcess[] = [];

/** A TCP server on `host` at its address answering its name; resolves once it listens. */
async function serveName(host: Host, port: number): Promise<ChildProcess> {
  const script = `require('net').createServer((s) => s.end(${JSON.stringify(host.name)}))
    .listen(${port}, ${JSON.stringify(host.address)}, () => console.log('listening'))`;
  const [file, args] = host.command(process.execPath, ['-e', script]);
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  started.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (b: Buffer) => b.toString().includes('listening') && resolve());
    child.once('exit', (code) => reject(new Error(`server on ${host.name} exited (${code})`)));
  });
  return child;
}

/** What `address:port` answers, connecting from `host` (or from the test, without one), or the error code. */
async function ask(address: string, port: number, host?: Host): Promise<string> {
  const script = `const s = require('net').connect(${port}, ${JSON.stringify(address)});
    s.setTimeout(1500, () => { console.log('TIMEOUT'); process.exit(0); });
    s.on('data', (d) => { console.log(String(d)); process.exit(0); });
    s.on('error', (e) => { console.log(e.code); process.exit(0); });`;
  const r = host ? await host.exec(process.execPath, ['-e', script]) : await run(process.execPath, ['-e', script]);
  return r.stdout.trim();
}

describe.skipIf(!support.ok)(`private network of hosts${support.ok ? '' : ` (skipped: ${support.reason})`}`, () => {
  beforeAll(async () => {
    network = await createNetwork({ hosts: ['a', 'b'] });
  });

  afterAll(async () => {
    for (const c of started) c.kill('SIGKILL');
    await network?.teardown();
  });

  it('hosts reach the bridge and each other, not the machine; the test reaches every host', async () => {
    const [a, b] = [network.host('a'), network.host('b')];
    expect(a.address).not.toBe(b.address);
    await serveName(a, 7001);
    await serveName(b, 7001);
    expect(await ask(a.address, 7001)).toBe('a');
    expect(await ask(b.address, 7001)).toBe('b');
    expect(await ask(a.address, 7001, b)).toBe('a');
    // Each host has a loopback of its own: the machine's PostgreSQL on 127.0.0.1:5432 is not there.
    expect(await ask('127.0.0.1', 5432, b)).toBe('ECONNREFUSED');
    // The root namespace, at the gateway address, is.
    const gatewayServer = net.createServer((s) => s.end('gateway'));
    await new Promise<void>((resolve) => gatewayServer.listen(7002, network.gateway, resolve));
    try {
      expect(await ask(network.gateway, 7002, a)).toBe('gateway');
    } finally {
      gatewayServer.close();
    }
  });

  it('an unplugged host is unreachable until plugged in again', async () => {
    const b = network.host('b');
    await b.setConnected(false);
    expect(await ask(b.address, 7001)).toBe('TIMEOUT');
    await b.setConnected(true);
    expect(await ask(b.address, 7001)).toBe('b');
  });

  it('killing a host kills every process on it, and only those', async () => {
    const [a, b] = [network.host('a'), network.host('b')];
    const server = await serveName(a, 7003);
    expect(a.pids()).toContain(server.pid);
    const killed = await a.kill();
    expect(killed).toContain(server.pid);
    await waitForExit(server.pid as number, 10_000);
    expect(a.pids()).toEqual([]);
    expect(await ask(b.address, 7001)).toBe('b');
  });

  it("a dead owner's network is reaped (processes, PostgreSQL, links, directory); a live one's is not", async () => {
    const crashed = await createNetwork({ hosts: ['x'] });
    const pg = await crashed.startPostgres();
    const postmaster = Number(readFileSync(path.join(pg.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const orphan = await serveName(crashed.host('x'), 7004);
    // Its owner "crashed": record a process that has exited as the owner.
    const dead = spawnSync('true').pid;
    writeFileSync(path.join(crashed.dir, 'owner'), JSON.stringify({ pid: dead, start: 'gone' }));

    expect(reapStale()).toEqual([crashed.index]);
    expect(processAlive(orphan.pid as number)).toBe(false);
    expect(processAlive(postmaster)).toBe(false);
    expect(existsSync(crashed.dir)).toBe(false);
    expect(listNetns().filter((n) => n.startsWith(`${crashed.bridge}-`))).toEqual([]);
    expect(listLinks().filter((l) => l.startsWith(crashed.bridge))).toEqual([]);
    // This file's network, whose owner runs, is untouched.
    expect(existsSync(network.dir)).toBe(true);
    expect(listLinks()).toContain(network.bridge);
    expect(await ask(network.host('b').address, 7001)).toBe('b');
    // Its own teardown leaves alone what is no longer its own.
    await crashed.teardown();
  });
});
