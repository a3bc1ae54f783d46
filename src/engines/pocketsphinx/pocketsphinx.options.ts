import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { settingDefault } from '../../config/config.js';
import { EngineConfigError } from '../../core/errors/index.js';

/** The three model files in a model directory laid out like Debian's pocketsphinx-en-us. */
export function pocketsphinxModelFiles(modelDir: string): { hmm: string; lm: string; dict: string } {
  return {
    hmm: join(modelDir, 'en-us'),
    lm: join(modelDir, 'en-us.lm.bin'),
    dict: join(modelDir, 'cmudict-en-us.dict'),
  };
}

/** Options of both PocketSphinx front ends: the file engine and the streaming recognizer. */
export interface PocketSphinxOptions {
  /** The resident decoder binary; default `dist/native/earshot-ps-server` under the package root. */
  serverPath?: string;
  /** Where `hmm`, `lm` and `dict` are looked up. Default: the EARSHOT_POCKETSPHINX_MODEL_DIR default. */
  modelDir?: string;
  /** Acoustic model directory (-hmm). Default: `en-us/` in the model directory. */
  hmm?: string;
  /** Language model (-lm). Default: `en-us.lm.bin` in the model directory. */
  lm?: string;
  /** Pronunciation dictionary (-dict). Default: `cmudict-en-us.dict` in the model directory. */
  dict?: string;
  /** More ps_init arguments, e.g. ['-beam', '1e-60'], appended after the model paths. */
  extraArgs?: readonly string[];
  /** How long model loading may take; it is ~0.3 s on a laptop, so 30 s only trips on a hang. */
  loadTimeoutMs?: number;
  /**
   * A chunk may take this long plus `timeoutPerAudioSecondMs` per second of audio. Decoding runs at
   * ~0.2x real time, so the default 30 s + 2 s/s is ten times that with room for a busy machine.
   * The streaming recognizer applies the same budget to each request, counting the audio it carries.
   */
  timeoutBaseMs?: number;
  timeoutPerAudioSecondMs?: number;
  /**
   * Nice value given to each decoder process right after it starts (os.setPriority), e.g. 10 so
   * file-task decoders yield the CPU to live sessions. Default: inherited (normally 0). A negative
   * value needs privileges; without them the start fails with EngineConfigError.
   */
  cpuPriority?: number;
}

/** Everything needed to start and drive a decoder process, resolved and checked once. */
export interface PsLaunch {
  serverPath: string;
  args: string[];
  loadTimeoutMs: number;
  timeoutBaseMs: number;
  timeoutPerAudioSecondMs: number;
  cpuPriority: number | undefined;
}

/**
 * Resolves options to a launch description, failing fast with EngineConfigError when the binary or
 * a model file is missing (a deployment mistake, better reported at construction than per call).
 * `modeArgs` are a front end's own ps_init defaults; the caller's `extraArgs` come after them.
 */
export function resolvePsLaunch(options: PocketSphinxOptions, modeArgs: readonly string[] = []): PsLaunch {
  const serverPath = options.serverPath ?? join(packageRoot(), 'dist', 'native', 'earshot-ps-server');
  const model = pocketsphinxModelFiles(options.modelDir || settingDefault('pocketsphinxModelDir'));
  const { hmm = model.hmm, lm = model.lm, dict = model.dict } = options;
  for (const [what, path] of [
    ['decoder binary', serverPath],
    ['acoustic model', hmm],
    ['language model', lm],
    ['dictionary', dict],
  ] as const) {
    if (!existsSync(path)) {
      const hint = what === 'decoder binary' ? ' (build it with `bash scripts/build-native.sh`)' : '';
      throw new EngineConfigError(`pocketsphinx ${what} not found at ${path}${hint}`);
    }
  }
  return {
    serverPath,
    // -logfn /dev/null: PocketSphinx logs megabytes of INFO lines per chunk on stderr.
    args: ['-hmm', hmm, '-lm', lm, '-dict', dict, '-logfn', '/dev/null', ...modeArgs, ...(options.extraArgs ?? [])],
    loadTimeoutMs: options.loadTimeoutMs ?? 30_000,
    timeoutBaseMs: options.timeoutBaseMs ?? 30_000,
    timeoutPerAudioSecondMs: options.timeoutPerAudioSecondMs ?? 2_000,
    cpuPriority: options.cpuPriority,
  };
}

/** The directory holding Earshot's package.json, found upwards from this file (works from src/ and dist/). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir)
      throw new EngineConfigError('cannot find the Earshot package root from the pocketsphinx engine');
    dir = parent;
  }
}
