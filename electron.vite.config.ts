import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import react from '@vitejs/plugin-react';
import type { Plugin } from 'vite';
import { devCsp, UI_CSP_META } from './src/shared/csp';

/** The renderer's Content-Security-Policy as a <meta> tag (src/shared/csp.ts; the dev server's allows Vite's inline code and HMR). */
function contentSecurityPolicy(): Plugin {
  const strict = UI_CSP_META;
  const dev = devCsp(UI_CSP_META);
  let policy = strict;
  return {
    name: 'dualdesk:csp',
    configResolved(config) {
      policy = config.command === 'serve' ? dev : strict;
    },
    transformIndexHtml() {
      return [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: policy }, injectTo: 'head-prepend' }];
    },
  };
}

export default defineConfig({
  main: {
    build: {
      // The CLI runs on the host's Node (>= 20), the Electron entry on Electron's newer Node.
      target: 'node20',
      rolldownOptions: {
        input: {
          main: resolve('src/main/electron/main.ts'),
          cli: resolve('src/main/cli/main.ts'),
          // The Kafka outbox's worker thread, started by file (KafkaOutbox finds it beside the bundle).
          'kafka-outbox-worker': resolve('src/main/transport/kafka/outbox-worker.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      // Sandboxed preload scripts must be a single CommonJS file.
      rolldownOptions: {
        input: { index: resolve('src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve('src/renderer'),
    base: './',
    plugins: [react(), contentSecurityPolicy()],
    build: {
      outDir: resolve('out/renderer'),
      minify: true,
      // One bundle (React, lightweight-charts, zod for the stream's frames) read from disk or loopback, never a slow network.
      chunkSizeWarningLimit: 1024,
      rolldownOptions: { input: resolve('src/renderer/index.html') },
    },
  },
});
