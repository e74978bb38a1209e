// Vite builds the web map into dist/app, which the coopmap binary embeds
// (web/static.go). The record pages load src/record.js through the
// manifest, as the server renders their HTML.
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist/app',
    emptyOutDir: true,
    manifest: true,
    target: 'es2022', // top-level await (src/boot.js),
    assetsInlineLimit: 0,
    rollupOptions: {
      input: { main: 'index.html', boot: 'src/boot.js', record: 'src/record.js', tours: 'src/tours.js', plan: 'plan.html', moderate: 'moderate.html' },
    },
  },
});
