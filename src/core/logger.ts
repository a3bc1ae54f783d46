import { destination, type Logger, pino } from 'pino';

export type { Logger };

/**
 * The root logger. JSON to stderr (stdout belongs to CLI output and to transcripts piped from it);
 * pretty only when stderr is a terminal. Bind context with `log.child({ taskId, chunk, workerId })`.
 */
export function createLogger(level: string, name = 'earshot'): Logger {
  const pretty = process.stderr.isTTY && process.env.EARSHOT_LOG_FORMAT !== 'json';
  return pino(
    {
      name,
      level,
      ...(pretty
        ? { transport: { target: 'pino-pretty', options: { destination: 2, colorize: true, ignore: 'pid,hostname' } } }
        : {}),
    },
    pretty ? undefined : destination(2),
  );
}
