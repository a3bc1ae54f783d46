import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * The web UI is its own Vite root. It is built into dist/web, which `earshot serve` hosts at `/`.
 * JSX goes through esbuild's automatic runtime pointed at Preact, so no framework plugin is needed.
 * `npx vite --config src/web/vite.config.ts` (development) proxies the API to a local server (EARSHOT_DEV_API or :8080).
 */
export default defineConfig({
  root,
  base: '/',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: fileURLToPath(new URL('../../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // Served by our own server with no CDN: everything (fonts included: system fonts only) stays local.
    assetsInlineLimit: 0,
  },
  server: {
    proxy: {
      // ws: the Live page's /v1/realtime WebSocket goes through the proxy too.
      '/v1': { target: process.env.EARSHOT_DEV_API ?? 'http://127.0.0.1:8080', changeOrigin: false, ws: true },
    },
  },
});
