import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Real engines and servers: the machine has 2 cores, so files run two at a time.
    maxWorkers: 2,
    // Timeouts detect hangs; they are not speed limits (those are in bench/). A test of real speech
    // recognition that takes 30 s on an idle machine can take several times that on a loaded one,
    // and must still pass there. Tests that prove an abort works rely on this staying well under
    // the 10-minute engine delays they abort (a call that is not aborted runs into this timeout).
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
  },
});
