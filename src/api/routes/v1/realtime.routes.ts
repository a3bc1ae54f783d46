import type { FastifyPluginAsync } from 'fastify';
import { InvalidRequestError } from '../../../core/errors/index.js';
import { languageSupport } from '../../../engines/engine-languages.js';
import type { LiveGateway } from '../../../live/live-gateway.js';
import { RealtimeSession } from '../../../live/realtime/realtime-session.js';
import { SessionRecording } from '../../../live/session-recording.js';
import type { ApiContext } from '../../context.js';
import { requireUser } from '../../plugins/auth.js';

/** `?save=true|1` asks for the session to be kept as a task. */
const wantsSave = (query: unknown): boolean => {
  const v = (query as Record<string, unknown> | undefined)?.save;
  return v === 'true' || v === '1';
};

/**
 * GET /v1/realtime: live transcription over WebSocket, speaking the transcription subset of
 * OpenAI's Realtime API (see docs/api.md). The auth hook has run before the upgrade, so an
 * unauthenticated client is refused with HTTP 401 and never gets a socket.
 */
export function realtimeRoutes(ctx: ApiContext, gateway: LiveGateway, onTaskSaved: () => void): FastifyPluginAsync {
  const languages = languageSupport(ctx.config);
  return async (app) => {
    app.route({
      method: 'GET',
      url: '/realtime',
      config: { allowQueryToken: true, allowProtocolToken: true },
      schema: { hide: true },
      handler: async () => {
        throw new InvalidRequestError('GET /v1/realtime is a WebSocket endpoint: connect with ws:// or wss://');
      },
      wsHandler: (socket, request) => {
        const user = requireUser(request);
        const save = wantsSave(request.query);
        const session: RealtimeSession = new RealtimeSession({
          socket,
          config: ctx.config,
          log: gateway.deps.log,
          workers: gateway.deps.workers ?? { openLive: () => null },
          admit: (s) => gateway.admit(s),
          release: (s) => gateway.release(s),
          acceptsLanguage: (l) => languages.accepts(l),
          model: ctx.config.engine,
          recorder: save
            ? async (sampleRate) => {
                const recording = await SessionRecording.open(ctx.config.dataDir, session.taskId, sampleRate);
                return {
                  write: (pcm) => recording.write(pcm),
                  get pendingBytes() {
                    return recording.pendingBytes;
                  },
                  addTurn: (segment) => recording.addTurn(segment),
                  finish: async () => {
                    const task = await recording.save(
                      ctx.store,
                      {
                        userId: user.id,
                        sourceName: `live-${new Date().toISOString().replace(/[:.]/g, '-')}.wav`,
                        language: session.language,
                      },
                      ctx.media,
                    );
                    if (task !== null) onTaskSaved();
                    return task?.id ?? null;
                  },
                };
              }
            : null,
        });
        session.start();
      },
    });
  };
}
