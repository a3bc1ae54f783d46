import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import {
  CHUNK_SECONDS_RANGE,
  llmEnabled,
  loadConfig,
  SECRET_ENV_NAMES,
  SETTINGS,
  settingDefault,
  settingsTable,
  timeBudgetSeconds,
  UNKNOWN_DURATION_SECONDS,
} from '../../src/config/config.js';
import { ConfigError } from '../../src/core/errors/index.js';

/** Loads with only `env` (never the test process's own environment) and collects warnings. */
function load(env: NodeJS.ProcessEnv, overrides = {}) {
  const warnings: string[] = [];
  const config = loadConfig(overrides, env, (m) => warnings.push(m));
  return { config, warnings };
}

describe('allowPrivateNetworks and its deprecated alias', () => {
  it('reads EARSHOT_ALLOW_PRIVATE_NETWORKS without a warning', () => {
    const { config, warnings } = load({ EARSHOT_ALLOW_PRIVATE_NETWORKS: 'true' });
    expect(config.allowPrivateNetworks).toBe(true);
    expect(warnings).toEqual([]);
  });

  it('still reads EARSHOT_WEBHOOK_ALLOW_PRIVATE, with a deprecation warning naming the new variable', () => {
    const { config, warnings } = load({ EARSHOT_WEBHOOK_ALLOW_PRIVATE: 'true' });
    expect(config.allowPrivateNetworks).toBe(true);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/EARSHOT_WEBHOOK_ALLOW_PRIVATE is deprecated.*EARSHOT_ALLOW_PRIVATE_NETWORKS/);
  });

  it('lets the new variable win over the old one, and a flag over both', () => {
    const both = { EARSHOT_ALLOW_PRIVATE_NETWORKS: 'false', EARSHOT_WEBHOOK_ALLOW_PRIVATE: 'true' };
    expect(load(both).config.allowPrivateNetworks).toBe(false);
    expect(load(both).warnings).toEqual([]);
    expect(load({ EARSHOT_WEBHOOK_ALLOW_PRIVATE: 'true' }, { allowPrivateNetworks: false }).config).toMatchObject({
      allowPrivateNetworks: false,
    });
  });

  it('rejects a bad value given under the old name, naming the setting', () => {
    expect(() => load({ EARSHOT_WEBHOOK_ALLOW_PRIVATE: 'maybe' })).toThrow(/EARSHOT_ALLOW_PRIVATE_NETWORKS/);
  });
});

describe('chunk length bounds', () => {
  it('accepts the range ends and refuses just outside them', () => {
    const { min, max } = CHUNK_SECONDS_RANGE;
    expect(load({ EARSHOT_MAX_CHUNK_SECONDS: String(min) }).config.maxChunkSeconds).toBe(min);
    expect(load({ EARSHOT_MAX_CHUNK_SECONDS: String(max) }).config.maxChunkSeconds).toBe(max);
    expect(() => load({ EARSHOT_MAX_CHUNK_SECONDS: String(min - 0.5) })).toThrow(ConfigError);
    expect(() => load({ EARSHOT_MAX_CHUNK_SECONDS: String(max + 1) })).toThrow(/EARSHOT_MAX_CHUNK_SECONDS/);
  });
});

describe('ConfigError', () => {
  it('is an EarshotError that is never retried', () => {
    let err: unknown;
    try {
      load({ EARSHOT_PORT: 'eighty' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toMatchObject({ code: 'invalid_config', retryable: false });
  });
});

describe('settingDefault', () => {
  it('is what an empty environment loads, for every setting', () => {
    const { config } = load({});
    for (const key of Object.keys(SETTINGS) as (keyof typeof SETTINGS)[]) {
      // dataDir is resolved to an absolute path after parsing.
      if (key === 'dataDir') continue;
      expect(settingDefault(key), key).toEqual(config[key]);
    }
  });
});

describe('timeBudgetSeconds', () => {
  const config = { timeBudgetBaseSeconds: 100, timeBudgetPerAudioSecond: 2 };

  it('is the base plus the factor per second of audio', () => {
    expect(timeBudgetSeconds(config, 0)).toBe(100);
    expect(timeBudgetSeconds(config, 600)).toBe(1300);
  });

  it('treats an unknown duration as a long recording', () => {
    expect(timeBudgetSeconds(config, null)).toBe(100 + 2 * UNKNOWN_DURATION_SECONDS);
  });
});

describe('LLM post-processing settings', () => {
  it('is off unless a base URL is set', () => {
    expect(llmEnabled(load({}).config)).toBe(false);
    const { config } = load({ EARSHOT_LLM_BASE_URL: 'http://127.0.0.1:11434/v1', EARSHOT_LLM_STREAM: 'false' });
    expect(llmEnabled(config)).toBe(true);
    expect(config).toMatchObject({ llmStream: false, llmWindowTokens: 3000, llmConcurrency: 2 });
  });

  it('refuses a base URL that is not a URL and a budget too small for the prompts', () => {
    expect(() => load({ EARSHOT_LLM_BASE_URL: 'localhost:8080' })).toThrow(/EARSHOT_LLM_BASE_URL/);
    expect(() => load({ EARSHOT_LLM_WINDOW_TOKENS: '100' })).toThrow(/EARSHOT_LLM_WINDOW_TOKENS/);
  });

  it('marks both API keys as secrets', () => {
    expect([...SECRET_ENV_NAMES].sort()).toEqual(['EARSHOT_LLM_API_KEY', 'EARSHOT_OPENAI_API_KEY']);
  });
});

describe('README', () => {
  it('holds the configuration table generated from SETTINGS (`earshot config --markdown`)', async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(settingsTable());
  });
});
