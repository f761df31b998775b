import { type DependencyList, useCallback, useEffect, useState } from 'react'
import { errorMessage } from '../api.ts'

/** Loads data for a page: `{ data, error, reload }`; the newest request wins. */
export function useLoad<T>(load: () => Promise<T>, deps: DependencyList) {
  const [data, setData] = useState<T | undefined>(undefined)
  const [error, setError] = useState<string | null>(null)
  const [tick, setTick] = useState(0)
  // biome-ignore lint/correctness/useExhaustiveDependencies: the caller names what `load` reads
  const run = useCallback(load, deps)
  // biome-ignore lint/correctness/useExhaustiveDependencies: `tick` is how `reload` asks again
  useEffect(() => {
    let current = true
    run().then(
      (d) => {
        if (!current) return
        setData(d)
        setError(null)
      },
      (e: unknown) => current && setError(errorMessage(e)),
    )
    return () => {
      current = false
    }
  }, [run, tick])
  const reload = useCallback(() => setTick((t) => t + 1), [])
  return { data, error, reload, setData }
}
