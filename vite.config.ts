import { defineConfig, type Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { VitePWA } from 'vite-plugin-pwa';
import { ISOLATION_HEADERS } from './src/security';

/** Dev and preview servers send the same isolation + CSP headers the service worker adds on static hosts. */
function isolationHeaders(): Plugin {
  const apply = (server: { middlewares: { use: (fn: (req: unknown, res: { setHeader: (k: string, v: string) => void }, next: () => void) => void) => void } }): void => {
    // Returns nothing: a function returned from these hooks would be run by Vite as a post-hook.
    server.middlewares.use((_req, res, next) => {
      for (const [k, v] of Object.entries(ISOLATION_HEADERS)) res.setHeader(k, v);
      next();
    });
  };
  return { name: 'isolation-headers', configureServer: apply, configurePreviewServer: apply };
}

export default defineConfig({
  base: './',
  plugins: [
    svelte(),
    isolationHeaders(),
    VitePWA({
      strategies: 'injectManifest',
      srcDir: 'src',
      filename: 'sw.ts',
      registerType: 'autoUpdate',
      injectRegister: false,
      manifest: {
        name: 'Pruning Studio',
        short_name: 'Pruning',
        description: 'Make trained image classifiers small and fast for phones, in the browser, offline.',
        theme_color: '#1f3b57',
        background_color: '#f6f7f9',
        display: 'standalone',
        start_url: './',
        scope: './',
        icons: [
          { src: 'icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: 'icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: 'icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
        file_handlers: [{ action: './', accept: { 'application/x-pruning-bundle': ['.psbundle'] } }],
      },
      injectManifest: {
        globPatterns: ['**/*.{js,mjs,css,html,wasm,png,svg,webmanifest,json}'],
        maximumFileSizeToCacheInBytes: 30 * 1024 * 1024,
      },
      devOptions: { enabled: false },
    }),
  ],
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 4000 },
  optimizeDeps: { exclude: ['@tensorflow/tfjs-backend-wasm'] },
});
