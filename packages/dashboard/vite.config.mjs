// The dashboard's Vite configuration, shared by `npm run dev --workspace=@latchkey/dashboard`
// (Vite's dev server, which forwards /v1 to a Latchkey server on LATCHKEY_DEV_API or port 4000)
// and by build.mjs (the production build packages/server/build.mjs makes).
import { fileURLToPath } from 'node:url'
import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/dashboard/',
  plugins: [react()],
  build: {
    target: 'es2022',
    assetsDir: 'assets',
    sourcemap: false,
    reportCompressedSize: false,
    // One script and one stylesheet: small enough that splitting would only add round trips.
    modulePreload: { polyfill: false },
    // Nothing inlined as data: URLs, so the CSP needs no exceptions.
    assetsInlineLimit: 0,
  },
  server: {
    proxy: { '/v1': process.env.LATCHKEY_DEV_API ?? 'http://localhost:4000' },
  },
})
