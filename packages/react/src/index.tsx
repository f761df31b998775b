/**
 * Latchkey for React, with `@clerk/clerk-react`'s names: wrap the app in `<LatchkeyProvider>`
 * (or `<ClerkProvider>`), then `useAuth()`, `useUser()`, `<SignedIn>`, `<SignInButton>`,
 * `<UserButton/>`… Safe to render on a server: nothing touches the network or the DOM until an
 * effect runs in the browser, and until then `isLoaded` is false.
 */
import {
  type GetTokenOptions,
  Latchkey,
  type LatchkeyOptions,
  type SessionResource,
  type SignInProps,
  type SignUpProps,
  type UserButtonProps,
  type UserProfileProps,
  type UserResource,
} from '@latchkey/js'
import {
  Children,
  cloneElement,
  createContext,
  isValidElement,
  type MouseEvent,
  type ReactElement,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
} from 'react'

type State = {
  latchkey: Latchkey | null
  isLoaded: boolean
  session: SessionResource | null
  user: UserResource | null
  sessionClaims: Record<string, unknown> | null
}

const Context = createContext<State | null>(null)

export type LatchkeyProviderProps = LatchkeyOptions & {
  publishableKey: string
  children?: ReactNode
  /** An instance made elsewhere (shared with non-React code); one is created otherwise. */
  latchkey?: Latchkey
}

/** Makes a Latchkey instance available to the tree below and loads it in the browser. */
export function LatchkeyProvider({
  publishableKey,
  children,
  latchkey: given,
  ...options
}: LatchkeyProviderProps) {
  const [latchkey] = useState(() => given ?? new Latchkey(publishableKey, options))
  const [state, setState] = useState<State>({
    latchkey,
    isLoaded: false,
    session: null,
    user: null,
    sessionClaims: null,
  })
  useEffect(() => {
    const off = latchkey.addListener(({ session, user }) =>
      setState({ latchkey, isLoaded: true, session, user, sessionClaims: latchkey.sessionClaims }),
    )
    void latchkey.load()
    return off
  }, [latchkey])
  return <Context.Provider value={state}>{children}</Context.Provider>
}

function useState_(hook: string): State {
  const state = useContext(Context)
  if (!state) throw new Error(`${hook} must be used inside <LatchkeyProvider>.`)
  return state
}

/** The Latchkey instance (Clerk's `useClerk`). */
export function useLatchkey(): Latchkey {
  const { latchkey } = useState_('useLatchkey')
  if (!latchkey) throw new Error('useLatchkey: no instance')
  return latchkey
}

export type UseAuthReturn = {
  isLoaded: boolean
  isSignedIn: boolean | undefined
  userId: string | null | undefined
  sessionId: string | null | undefined
  sessionClaims: Record<string, unknown> | null | undefined
  orgId: string | null | undefined
  orgRole: string | null | undefined
  orgSlug: string | null | undefined
  actor: null | undefined
  getToken: (options?: GetTokenOptions) => Promise<string | null>
  signOut: (options?: { sessionId?: string; redirectUrl?: string }) => Promise<void>
}

/**
 * Who is signed in, and tokens for them: Clerk's `useAuth()`. Before loading, the identity
 * fields are `undefined`; signed out, they are `null`. `getToken` is stable across renders.
 */
export function useAuth(): UseAuthReturn {
  const { latchkey, isLoaded, session, user, sessionClaims } = useState_('useAuth')
  const getToken = useCallback(
    async (options?: GetTokenOptions) =>
      latchkey?.session ? latchkey.session.getToken(options) : null,
    [latchkey],
  )
  const signOut = useCallback(
    async (options?: { sessionId?: string; redirectUrl?: string }) => {
      await latchkey?.signOut(options)
    },
    [latchkey],
  )
  if (!isLoaded) {
    return {
      isLoaded: false,
      isSignedIn: undefined,
      userId: undefined,
      sessionId: undefined,
      sessionClaims: undefined,
      orgId: undefined,
      orgRole: undefined,
      orgSlug: undefined,
      actor: undefined,
      getToken,
      signOut,
    }
  }
  return {
    isLoaded: true,
    isSignedIn: user !== null,
    userId: user?.id ?? null,
    sessionId: session?.id ?? null,
    sessionClaims: user ? sessionClaims : null,
    orgId: null,
    orgRole: null,
    orgSlug: null,
    actor: null,
    getToken,
    signOut,
  }
}

/** Clerk's `useUser()`. */
export function useUser(): {
  isLoaded: boolean
  isSignedIn: boolean | undefined
  user: UserResource | null | undefined
} {
  const { isLoaded, user } = useState_('useUser')
  return isLoaded
    ? { isLoaded, isSignedIn: user !== null, user }
    : { isLoaded, isSignedIn: undefined, user: undefined }
}

/** Clerk's `useSession()`. */
export function useSession(): {
  isLoaded: boolean
  isSignedIn: boolean | undefined
  session: SessionResource | null | undefined
} {
  const { isLoaded, session } = useState_('useSession')
  return isLoaded
    ? { isLoaded, isSignedIn: session !== null, session }
    : { isLoaded, isSignedIn: undefined, session: undefined }
}

/** Renders its children only once loaded and signed in. */
export function SignedIn({ children }: { children?: ReactNode }) {
  const { isLoaded, user } = useState_('SignedIn')
  return isLoaded && user ? children : null
}

/** Renders its children only once loaded and signed out. */
export function SignedOut({ children }: { children?: ReactNode }) {
  const { isLoaded, user } = useState_('SignedOut')
  return isLoaded && !user ? children : null
}

type ButtonProps = {
  children?: ReactNode
  /** `modal` opens the prebuilt UI over the page; `redirect` goes to the sign-in page. */
  mode?: 'modal' | 'redirect'
  forceRedirectUrl?: string
  fallbackRedirectUrl?: string
}

/** A child element (or a default button) whose click runs `action`, keeping its own onClick. */
function withClick(children: ReactNode, label: string, action: () => void) {
  const child = children ? Children.only(children) : <button type="button">{label}</button>
  if (!isValidElement(child))
    return (
      <button type="button" onClick={action}>
        {children}
      </button>
    )
  const el = child as ReactElement<{ onClick?: (e: MouseEvent) => void }>
  return cloneElement(el, {
    onClick: (e: MouseEvent) => {
      el.props.onClick?.(e)
      action()
    },
  })
}

/** A sign-in or sign-up button: opens the modal, or goes to the (hosted) page. */
function useAuthButton(kind: 'in' | 'up', props: ButtonProps) {
  const latchkey = useLatchkey()
  const { children, mode = 'redirect', forceRedirectUrl, fallbackRedirectUrl } = props
  const redirect = forceRedirectUrl ?? fallbackRedirectUrl
  const opts = redirect ? { redirectUrl: redirect } : {}
  const actions = {
    in: { modal: () => latchkey.openSignIn(opts), redirect: () => latchkey.redirectToSignIn(opts) },
    up: { modal: () => latchkey.openSignUp(opts), redirect: () => latchkey.redirectToSignUp(opts) },
  }
  return withClick(children, kind === 'in' ? 'Sign in' : 'Sign up', actions[kind][mode])
}

export function SignInButton(props: ButtonProps) {
  return useAuthButton('in', props)
}

export function SignUpButton(props: ButtonProps) {
  return useAuthButton('up', props)
}

export function SignOutButton({
  children,
  redirectUrl,
}: {
  children?: ReactNode
  redirectUrl?: string
}) {
  const latchkey = useLatchkey()
  return withClick(children, 'Sign out', () => {
    void latchkey.signOut(redirectUrl ? { redirectUrl } : {})
  })
}

/** A prebuilt component mounted into a div once loaded in the browser (nothing on a server). */
function useMounted<P>(
  mount: (lk: Latchkey, el: HTMLDivElement, props: P) => void,
  unmount: (lk: Latchkey, el: HTMLDivElement) => void,
  props: P,
) {
  const { latchkey, isLoaded } = useState_('Latchkey components')
  const ref = useRef<HTMLDivElement>(null)
  const key = JSON.stringify(props)
  // biome-ignore lint/correctness/useExhaustiveDependencies: props are compared by value (key)
  const stable = useMemo(() => props, [key])
  useEffect(() => {
    const el = ref.current
    if (!latchkey || !isLoaded || !el) return
    mount(latchkey, el, stable)
    return () => unmount(latchkey, el)
  }, [latchkey, isLoaded, stable, mount, unmount])
  return <div ref={ref} />
}

export function SignIn(props: SignInProps) {
  return useMounted(mountSignIn, unmountSignIn, props)
}
export function SignUp(props: SignUpProps) {
  return useMounted(mountSignUp, unmountSignUp, props)
}
export function UserButton(props: UserButtonProps) {
  return useMounted(mountUserButton, unmountUserButton, props)
}
export function UserProfile(props: UserProfileProps) {
  return useMounted(mountUserProfile, unmountUserProfile, props)
}

const mountSignIn = (lk: Latchkey, el: HTMLDivElement, p: SignInProps) => lk.mountSignIn(el, p)
const unmountSignIn = (lk: Latchkey, el: HTMLDivElement) => lk.unmountSignIn(el)
const mountSignUp = (lk: Latchkey, el: HTMLDivElement, p: SignUpProps) => lk.mountSignUp(el, p)
const unmountSignUp = (lk: Latchkey, el: HTMLDivElement) => lk.unmountSignUp(el)
const mountUserButton = (lk: Latchkey, el: HTMLDivElement, p: UserButtonProps) =>
  lk.mountUserButton(el, p)
const unmountUserButton = (lk: Latchkey, el: HTMLDivElement) => lk.unmountUserButton(el)
const mountUserProfile = (lk: Latchkey, el: HTMLDivElement, p: UserProfileProps) =>
  lk.mountUserProfile(el, p)
const unmountUserProfile = (lk: Latchkey, el: HTMLDivElement) => lk.unmountUserProfile(el)

export type { GetTokenOptions, SessionResource, UserResource } from '@latchkey/js'
// Clerk's names, so moving an app is an import change.
export { LatchkeyProvider as ClerkProvider, useLatchkey as useClerk }
