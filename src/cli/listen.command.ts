import type { Readable } from 'node:stream';
import type { Command } from 'commander';
import { Option } from 'commander';
import { decodeToPcm } from '../audio/decode.js';
import { settingDefault } from '../config/config.js';
import { UsageError } from '../core/errors/index.js';
import { pcmFrames, realTime } from '../live/client/audio-frames.js';
import { RealtimeClient } from '../live/client/realtime-client.js';
import { APPEND_MS, isFatalError } from '../live/client/realtime-protocol.js';
import { LIVE_INPUT_RATES, type LiveInputRate } from '../live/live-settings.js';
import { EXIT } from './exit-codes.js';
import { LiveView } from './live-view.js';

interface ListenOpts {
  server?: string;
  token?: string;
  language?: string;
  fast?: boolean;
  save?: boolean;
  rate: string;
}

/** Where `earshot serve` listens when nothing is configured: the same defaults the server starts with. */
const DEFAULT_SERVER = `http://${settingDefault('host')}:${settingDefault('port')}`;

export function registerListenCommand(program: Command): void {
  program
    .command('listen')
    .description('transcribe live through a server: a file played in real time, or raw PCM from stdin')
    .argument('[file]', 'audio/video file (anything ffmpeg reads), or "-" (default) for raw PCM16 LE mono on stdin')
    .option('--server <url>', `Earshot server (EARSHOT_URL, default ${DEFAULT_SERVER})`)
    .option('--token <token>', 'API token (EARSHOT_TOKEN)')
    .option('-l, --language <code>', `language (default: ${settingDefault('language')})`)
    .option('--fast', 'send a file as fast as the connection allows instead of in real time')
    .option('--save', 'keep the session as a task on the server and print its id')
    .addOption(
      new Option('--rate <hz>', 'sample rate sent (and of stdin input)')
        .choices(LIVE_INPUT_RATES.map(String))
        .default(String(LIVE_INPUT_RATES[0])),
    )
    .action(async (file: string | undefined, opts: ListenOpts) => {
      process.exitCode = await listen(file ?? '-', opts);
    });
}

async function listen(file: string, opts: ListenOpts): Promise<number> {
  const rate = Number(opts.rate) as LiveInputRate;
  const server = opts.server ?? process.env.EARSHOT_URL ?? DEFAULT_SERVER;
  if (!/^(https?|wss?):\/\//.test(server)) throw new UsageError(`--server must be an http(s):// URL (got ${server})`);
  const view = new LiveView(process.stdout);
  const stop = new AbortController();
  const client = await RealtimeClient.connect({
    server,
    token: opts.token ?? process.env.EARSHOT_TOKEN ?? null,
    rate,
    language: opts.language ?? settingDefault('language'),
    save: opts.save,
    onEvent: (ev) => {
      view.onEvent(ev);
      // A fatal error ends the session; the error it leaves is reported once, on the way out.
      if (ev.type === 'error' && !isFatalError(ev.error)) {
        view.close();
        process.stderr.write(`earshot: server: ${ev.error.message}${ev.error.code ? ` (${ev.error.code})` : ''}\n`);
      }
    },
  });
  // The first Ctrl-C ends the input and finishes the session cleanly; a second one gives up at once.
  const onSignal = () => {
    if (!stop.signal.aborted) {
      stop.abort();
      return;
    }
    client.abort();
    view.close();
    process.exit(EXIT.interrupted);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const source: Readable =
      file === '-' ? process.stdin : decodeToPcm(file, { sampleRate: rate, signal: stop.signal });
    const frameBytes = Math.round((rate * APPEND_MS) / 1000) * 2;
    const frames = pcmFrames(source, frameBytes, stop.signal);
    const paced = opts.fast ? frames : realTime(frames, rate, stop.signal);
    for await (const frame of paced) await client.sendAudio(frame);
    const { taskId } = await client.finish();
    view.close();
    if (opts.save) {
      if (taskId) process.stdout.write(`saved as task ${taskId}\n`);
      else process.stderr.write('earshot: the server did not save the session as a task\n');
    }
    return EXIT.ok;
  } catch (err) {
    client.abort();
    view.close();
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
