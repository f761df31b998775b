import { useCallback, useEffect, useId, useRef, useState } from 'react'
import { errorMessage } from '../api.ts'
import { ErrorText } from './error-text.tsx'

export type ConfirmRequest = {
  title: string
  body: string
  /** The confirming button's text: the action, e.g. "Delete user". */
  confirmLabel: string
  /** Runs on confirm; the dialog stays open, showing the error, if it throws. */
  action(): Promise<void>
}

/**
 * Every destructive action asks here first: a modal `<dialog>` (focus moves into it and stays
 * there; Escape cancels), focused on Cancel so Enter alone never destroys anything.
 */
function ConfirmDialog({ request, onClose }: { request: ConfirmRequest | null; onClose(): void }) {
  const ref = useRef<HTMLDialogElement>(null)
  const titleId = useId()
  const bodyId = useId()
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  useEffect(() => {
    const dialog = ref.current
    if (!dialog) return
    if (request && !dialog.open) {
      setError(null)
      dialog.showModal()
    }
    if (!request && dialog.open) dialog.close()
  }, [request])
  const confirm = async () => {
    if (!request) return
    setBusy(true)
    setError(null)
    try {
      await request.action()
      onClose()
    } catch (e) {
      setError(errorMessage(e))
    } finally {
      setBusy(false)
    }
  }
  return (
    <dialog
      ref={ref}
      className="confirm"
      aria-labelledby={titleId}
      aria-describedby={bodyId}
      onClose={onClose}
    >
      <h2 id={titleId}>{request?.title}</h2>
      <p id={bodyId}>{request?.body}</p>
      <ErrorText message={error} />
      <div className="actions">
        {/* biome-ignore lint/a11y/noAutofocus: a confirmation opens on its safe choice */}
        <button type="button" autoFocus onClick={onClose} disabled={busy}>
          Cancel
        </button>
        <button type="button" className="danger" onClick={confirm} disabled={busy}>
          {request?.confirmLabel}
        </button>
      </div>
    </dialog>
  )
}

/** `confirm({ … })` opens the dialog; render `dialog` once in the page. */
export function useConfirm() {
  const [request, setRequest] = useState<ConfirmRequest | null>(null)
  const close = useCallback(() => setRequest(null), [])
  return {
    confirm: setRequest as (r: ConfirmRequest) => void,
    dialog: <ConfirmDialog request={request} onClose={close} />,
  }
}
