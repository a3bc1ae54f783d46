import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';

/**
 * Where the built web UI (`npm run build:web` → dist/web) is: next to the compiled server
 * (dist/api/../web) or, when running from source, in the repository's dist/. Only a directory
 * inside a `dist` folder counts, so the Vite source root (src/web, whose index.html needs a build)
 * is never served. Null when the UI has not been built: the API works without it. Runs once at
 * startup, so the sync checks never touch a request.
 */
export function findWebRoot(): string | null {
  const here = path.dirname(fileURLToPath(import.meta.url)); // …/api/plugins
  const candidates = [path.resolve(here, '../../web'), path.resolve(here, '../../../dist/web')];
  for (const dir of candidates) {
    if (path.basename(path.dirname(dir)) === 'dist' && existsSync(path.join(dir, 'index.html'))) return dir;
  }
  return null;
}

/**
 * Serves the UI's files at `/` (hash routing, so no SPA fallback is needed). Files are listed once
 * at startup (no wildcard route), so unknown paths still reach the JSON 404 handler.
 */
export function webUi(root: string): FastifyPluginAsync {
  return async (app) => {
    await app.register(fastifyStatic, {
      root,
      prefix: '/',
      wildcard: false,
      index: 'index.html',
      decorateReply: false,
      cacheControl: false, // set per file below
      setHeaders: (res, file) => {
        res.setHeader('x-content-type-options', 'nosniff');
        // Vite fingerprints assets; index.html must be revalidated to pick up a new build.
        res.setHeader(
          'cache-control',
          file.endsWith('index.html') ? 'no-cache' : 'public, max-age=31536000, immutable',
        );
      },
    });
  };
}
