import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

describe('earshot config', () => {
  it('reads the deprecated EARSHOT_WEBHOOK_ALLOW_PRIVATE as EARSHOT_ALLOW_PRIVATE_NETWORKS and warns', async () => {
    const res = await runCli(['config'], { EARSHOT_ALLOW_PRIVATE_NETWORKS: '', EARSHOT_WEBHOOK_ALLOW_PRIVATE: 'true' });
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^EARSHOT_ALLOW_PRIVATE_NETWORKS=true$/m);
    expect(res.stdout).not.toMatch(/EARSHOT_WEBHOOK_ALLOW_PRIVATE/);
    expect(res.stderr).toMatch(/DeprecationWarning: EARSHOT_WEBHOOK_ALLOW_PRIVATE is deprecated/);
  });

  it('exits 2 with one readable line on an invalid setting', async () => {
    const res = await runCli(['config'], { EARSHOT_MAX_CHUNK_SECONDS: '1' });
    expect(res.code).toBe(2);
    expect(res.stderr.trim()).toMatch(/^earshot: invalid configuration: EARSHOT_MAX_CHUNK_SECONDS: /);
  });
});
