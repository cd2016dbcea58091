/**
 * Builds the plain React Flow baseline page for `npm run bench:ui`:
 * `npx vite build --config bench/plain/vite.config.ts` (bench/ui.ts does this itself).
 */
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: './',
  plugins: [react()],
  logLevel: 'warn',
  build: {
    target: 'es2022',
    // Out of git and out of Biome's reach (both ignore node_modules).
    outDir: fileURLToPath(new URL('../../node_modules/.cache/bench-ui/plain', import.meta.url)),
    emptyOutDir: true,
    reportCompressedSize: false,
  },
});
