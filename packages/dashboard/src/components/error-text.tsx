/** An error as the Backend API worded it; announced when it appears. */
export function ErrorText({ message, id }: { message: string | null | undefined; id?: string }) {
  if (!message) return null
  return (
    <p className="error" role="alert" id={id}>
      {message}
    </p>
  )
}
