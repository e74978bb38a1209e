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
    target: 'es2020',
    assetsInlineLimit: 0,
    rollupOptions: {
      input: { main: 'index.html', record: 'src/record.js', tours: 'src/tours.js', plan: 'plan.html', moderate: 'moderate.html' },
    },
  },
});
