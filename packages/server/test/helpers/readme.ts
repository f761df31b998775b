import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { promisify } from 'node:util'

const exec = promisify(execFile)

const README = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8')

/** The fenced code block that follows `<!-- readme-test:NAME -->` in the README. */
export function readmeSnippet(name: string): string {
  const at = README.indexOf(`<!-- readme-test:${name} -->`)
  if (at < 0) throw new Error(`README has no snippet ${name}`)
  const m = /```[a-z]*\n([\s\S]*?)```/.exec(README.slice(at))
  if (!m?.[1]) throw new Error(`README snippet ${name} has no code block`)
  return m[1]
}

/** A README snippet with the default URL replaced by a test server's. */
export function readmeSnippetFor(name: string, url: string): string {
  return readmeSnippet(name).replaceAll('http://localhost:4000', url)
}

/**
 * Runs the README's curl lines against the test server, with the provisioned secret key
 * (asynchronously: the server shares this process's event loop).
 */
export async function runReadmeShell(snippet: string, secretKey: string): Promise<string[]> {
  const outputs: string[] = []
  for (const line of snippet.replaceAll('\\\n', ' ').split('\n')) {
    if (!line.startsWith('curl ')) continue
    const { stdout } = await exec('bash', ['-c', `${line} --silent --show-error --max-time 10`], {
      env: { ...process.env, LATCHKEY_SECRET_KEY: secretKey },
    })
    outputs.push(stdout)
  }
  return outputs
}
