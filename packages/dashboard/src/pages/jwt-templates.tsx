import { type FormEvent, useState } from 'react'
import { api, errorMessage } from '../api.ts'
import { ErrorText } from '../components/error-text.tsx'
import { Link } from '../components/link.tsx'
import { PageTitle } from '../components/page-title.tsx'
import { Pager } from '../components/pager.tsx'
import { useLoad } from '../components/use-load.ts'
import { when } from '../format.ts'
import { navigate } from '../router.ts'
import type { JwtTemplate, JwtTemplatePreset, Paginated } from '../types.ts'

const LIMIT = 100

const open = (t: JwtTemplate) => navigate(`jwt-templates/${encodeURIComponent(t.id)}`)

/** JWT templates: the list, and a new one from a preset (Convex …) or blank. */
export function JwtTemplates() {
  const [offset, setOffset] = useState(0)
  const { data, error } = useLoad(
    () =>
      Promise.all([
        api<Paginated<JwtTemplate>>(
          'GET',
          `/v1/jwt_templates?paginated=true&limit=${LIMIT}&offset=${offset}`,
        ),
        api<JwtTemplatePreset[]>('GET', '/v1/jwt_templates/presets'),
      ]),
    [offset],
  )
  const [page, presets] = data ?? []
  const templates = page?.data
  const [name, setName] = useState('')
  const [createError, setCreateError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const create = async (call: () => Promise<JwtTemplate>) => {
    setBusy(true)
    setCreateError(null)
    try {
      open(await call())
    } catch (err) {
      setCreateError(errorMessage(err))
      setBusy(false)
    }
  }
  const blank = (e: FormEvent) => {
    e.preventDefault()
    create(() => api<JwtTemplate>('POST', '/v1/jwt_templates', { name: name.trim(), claims: {} }))
  }
  return (
    <>
      <PageTitle title="JWT templates" />
      <p className="muted">
        A template makes tokens for another service (a database, an API) with the claims it expects.
        Browsers get one with <code>getToken({'{ template: "name" }'})</code>.
      </p>
      <ErrorText message={error} />
      <div className="table-wrap">
        <table className="list">
          <caption className="sr-only">JWT templates</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Lifetime</th>
              <th scope="col" className="wide-only">
                Signing
              </th>
              <th scope="col" className="wide-only">
                Updated
              </th>
            </tr>
          </thead>
          <tbody>
            {templates?.map((t) => (
              <tr key={t.id}>
                <td>
                  <Link to={`jwt-templates/${encodeURIComponent(t.id)}`}>{t.name}</Link>
                </td>
                <td>{t.lifetime} s</td>
                <td className="wide-only">
                  {t.custom_signing_key
                    ? `${t.signing_algorithm}, own key`
                    : 'Instance key (RS256)'}
                </td>
                <td className="wide-only">{when(t.updated_at)}</td>
              </tr>
            ))}
            {templates && templates.length === 0 && (
              <tr>
                <td colSpan={4}>No templates yet.</td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      {page && page.total_count > LIMIT && (
        <Pager
          label="JWT templates"
          offset={offset}
          limit={LIMIT}
          total={page.total_count}
          shown={page.data.length}
          onChange={setOffset}
        />
      )}
      <section className="card stack" aria-labelledby="new-template-heading">
        <h2 id="new-template-heading">New template</h2>
        <div className="row">
          {presets?.map((p) => (
            <button
              key={p.name}
              type="button"
              disabled={busy}
              onClick={() =>
                create(() =>
                  api<JwtTemplate>(
                    'POST',
                    `/v1/jwt_templates/presets/${encodeURIComponent(p.name)}`,
                  ),
                )
              }
            >
              From the {p.name} preset
            </button>
          ))}
        </div>
        <form className="row" onSubmit={blank}>
          <label className="grow">
            Name
            <input
              required
              maxLength={64}
              pattern="[A-Za-z0-9_.\-]+"
              title="Letters, digits, _ . -"
              value={name}
              onChange={(e) => setName(e.target.value)}
            />
          </label>
          <button type="submit" className="primary" disabled={busy}>
            Create blank template
          </button>
        </form>
        <ErrorText message={createError} />
      </section>
    </>
  )
}
