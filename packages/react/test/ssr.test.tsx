import { encodePublishableKey } from '@latchkey/contracts'
import { renderToString } from 'react-dom/server'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  ClerkProvider,
  LatchkeyProvider,
  SignedIn,
  SignedOut,
  SignIn,
  SignInButton,
  UserButton,
  useAuth,
  useUser,
} from '../src/index.js'

const pk = encodePublishableKey('auth.example.com')

function Probe() {
  const auth = useAuth()
  const { user } = useUser()
  return (
    <output>
      {JSON.stringify({
        isLoaded: auth.isLoaded,
        isSignedIn: auth.isSignedIn,
        userId: auth.userId,
        user,
      })}
    </output>
  )
}

describe('@latchkey/react on a server', () => {
  afterEach(() => vi.restoreAllMocks())

  it('renders without a DOM or network: not loaded, no signed-in or signed-out content', () => {
    const fetchSpy = vi.spyOn(globalThis, 'fetch')
    const html = renderToString(
      <LatchkeyProvider publishableKey={pk}>
        <SignedIn>secret dashboard</SignedIn>
        <SignedOut>please sign in</SignedOut>
        <SignInButton mode="modal">
          <button type="button">Log in</button>
        </SignInButton>
        <UserButton />
        <SignIn />
        <Probe />
      </LatchkeyProvider>,
    )
    expect(fetchSpy).not.toHaveBeenCalled()
    expect(html).not.toContain('secret dashboard')
    expect(html).not.toContain('please sign in')
    expect(html).toContain('Log in')
    expect(html).toContain('{&quot;isLoaded&quot;:false}')
    expect(typeof document).toBe('undefined')
  })

  it('ClerkProvider is the same provider; hooks outside it fail loudly', () => {
    expect(ClerkProvider).toBe(LatchkeyProvider)
    expect(() => renderToString(<Probe />)).toThrow(
      'useAuth must be used inside <LatchkeyProvider>',
    )
  })
})
