import { defineConfig } from 'tsdown'

export default defineConfig([
  {
    entry: ['src/index.ts', 'src/browser.ts'],
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    dts: { eager: true, sourcemap: true },
    sourcemap: true,
    fixedExtension: false,
    deps: { alwaysBundle: [/^@latchkey\/contracts(\/|$)/] },
  },
  {
    entry: { 'latchkey.browser': 'src/browser.ts' },
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: true,
    clean: false,
    outputOptions: { entryFileNames: '[name].js' },
    // One file for a <script> tag: its dependencies inside it, never globals it expects.
    deps: { alwaysBundle: [/^@latchkey\/contracts(\/|$)/, /^@simplewebauthn\/browser$/, /^qr$/] },
  },
])
