import { defineConfig } from 'tsdown'

export default defineConfig({
  entry: ['src/index.tsx'],
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  dts: { sourcemap: true },
  sourcemap: true,
  fixedExtension: false,
  // Every export is a hook or a component that runs in the browser: React Server Components
  // frameworks (Next.js App Router) may then render <LatchkeyProvider> from a server layout.
  banner: { js: "'use client'" },
})
