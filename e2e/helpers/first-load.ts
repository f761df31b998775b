import { gzipSync } from 'node:zlib'
import type { Page, Response } from 'playwright-core'

export type FirstLoad = { total: number; files: { path: string; gzip: number }[] }

/**
 * What a first visit to `url` costs: index.html and every file it loads from the server
 * (scripts, styles, anything else), each counted at its gzip-compressed size (level 9, what the
 * server sends), summed. Redirects on the way carry no body and are not counted.
 */
export async function firstLoadBytes(page: Page, url: string): Promise<FirstLoad> {
  const origin = new URL(url).origin
  const responses: Response[] = []
  const onResponse = (r: Response) => {
    if (r.url().startsWith(origin) && r.status() === 200) responses.push(r)
  }
  page.on('response', onResponse)
  try {
    await page.goto(url, { waitUntil: 'networkidle' })
  } finally {
    page.off('response', onResponse)
  }
  const files = await Promise.all(
    responses.map(async (r) => ({
      path: new URL(r.url()).pathname,
      gzip: gzipSync(await r.body(), { level: 9 }).length,
    })),
  )
  return { total: files.reduce((n, f) => n + f.gzip, 0), files }
}
