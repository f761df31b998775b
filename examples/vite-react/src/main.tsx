import { ClerkProvider } from '@latchkey/react'
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from './App.js'

// Moving from Clerk: the import above and this key are the only changes.
const publishableKey = import.meta.env.VITE_LATCHKEY_PUBLISHABLE_KEY as string

createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>
    <ClerkProvider publishableKey={publishableKey}>
      <App />
    </ClerkProvider>
  </StrictMode>,
)
