// Builds the web UI into static files that CMake embeds in the hone binary.
// HONE_WEBUI_OUTDIR (set by webui/frontend/CMakeLists.txt) puts the output in the build tree.
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/',
  logLevel: 'warn',
  build: {
    outDir: process.env.HONE_WEBUI_OUTDIR || 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 1500,
  },
});
