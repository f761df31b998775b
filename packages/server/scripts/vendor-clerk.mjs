// Vendors Clerk's browser bundles into packages/server/vendor/npm/, from which the server serves
// them at the paths Clerk's SDKs request (/npm/@clerk/clerk-js@6/dist/clerk.browser.js, …).
//
//   node packages/server/scripts/vendor-clerk.mjs @clerk/clerk-js@6.40.0 @clerk/ui@1.34.0 …
//
// Each package comes from the npm registry through `npm pack` (which checks the tarball against
// the registry's integrity). Kept: the package's LICENSE, its browser entry points
// (dist/*.browser.js) and the chunks they load (named `<chunk>_<entry>_<hash6>_<version>.js`,
// the hash being the entry's webpack build hash), each gzipped, and a manifest with the SHA-256
// of every file as published (files are kept flat: dist/x.js as x.js.gz), so the server knows its files, sizes and ETags without reading
// them at boot. Node builds (clerk.js, clerk.mjs, the React Native chunks) and type declarations
// are left out: no browser asks for them.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

const VENDOR = fileURLToPath(new URL('../vendor/npm/', import.meta.url))
const specs = process.argv.slice(2)
if (specs.length === 0 || specs.some((s) => !/^@clerk\/[a-z-]+@\d+\.\d+\.\d+$/.test(s))) {
  process.stderr.write('usage: vendor-clerk.mjs @clerk/<package>@<x.y.z> …\n')
  process.exit(2)
}

/** `dist/x.js` is kept as `x.js.gz` (a folder named dist is the build output Git ignores). */
const storedName = (path) => `${path.replace(/^dist\//, '')}.gz`

for (const spec of specs) {
  const work = mkdtempSync(join(tmpdir(), 'vendor-clerk-'))
  try {
    const [packed] = JSON.parse(
      execFileSync('npm', ['pack', spec, '--json', '--pack-destination', work], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      }),
    )
    execFileSync('tar', ['xzf', join(work, packed.filename), '-C', work])
    const pkg = join(work, 'package')
    const meta = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'))
    if (`${meta.name}@${meta.version}` !== spec)
      throw new Error(`${spec}: got ${meta.name}@${meta.version}`)
    const dist = readdirSync(join(pkg, 'dist'))
    const entries = dist.filter((f) => f.endsWith('.browser.js'))
    const hashes = entries.map((f) => {
      const m = /\.h=\(\)=>"([0-9a-f]{6})/.exec(readFileSync(join(pkg, 'dist', f), 'utf8'))
      if (!m) throw new Error(`${spec}: no build hash in dist/${f}`)
      return m[1]
    })
    const chunk = new RegExp(`_(${hashes.join('|')})_${meta.version.replaceAll('.', '\\.')}\\.js$`)
    const files = dist.filter((f) => entries.includes(f) || chunk.test(f)).sort()
    const out = join(VENDOR, `${meta.name}@${meta.version}`)
    rmSync(out, { recursive: true, force: true })
    mkdirSync(out, { recursive: true })
    const manifest = {
      name: meta.name,
      version: meta.version,
      license: meta.license,
      integrity: packed.integrity,
      files: {},
    }
    const keep = (from, to) => {
      const bytes = readFileSync(from)
      writeFileSync(join(out, storedName(to)), gzipSync(bytes, { level: 9 }))
      manifest.files[to] = {
        size: bytes.length,
        sha256: createHash('sha256').update(bytes).digest('base64'),
      }
    }
    keep(join(pkg, 'LICENSE'), 'LICENSE')
    for (const f of files) keep(join(pkg, 'dist', f), `dist/${f}`)
    writeFileSync(join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`)
    process.stderr.write(`${spec}: ${files.length} files (${entries.join(', ')})\n`)
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}
