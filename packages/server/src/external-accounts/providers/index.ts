import { apple } from './apple.js'
import { customOidc } from './custom-oidc.js'
import { discord } from './discord.js'
import { github } from './github.js'
import { gitlab } from './gitlab.js'
import { google } from './google.js'
import { microsoft } from './microsoft.js'
import type { Provider } from './provider.js'

export type { ConnectionSettings, Provider, ProviderProfile } from './provider.js'
export { ConnectionSettingError } from './provider.js'

/** The providers Latchkey knows by name; any other OpenID Connect one is `custom_<slug>`. */
const PROVIDERS: Readonly<Record<string, Provider>> = Object.fromEntries(
  [google, microsoft, github, gitlab, discord, apple].map((p) => [p.key, p]),
)

/** `custom_<slug>`: Clerk's name for a custom provider, and what clerk-js accepts as one. */
const CUSTOM_KEY = /^custom_[a-z0-9][a-z0-9_-]{0,39}$/

/** The provider for a connection's key, or undefined for a key no provider has. */
export function findProvider(key: string): Provider | undefined {
  if (Object.hasOwn(PROVIDERS, key)) return PROVIDERS[key]
  return CUSTOM_KEY.test(key) ? customOidc(key) : undefined
}

/** For error messages and docs: the keys an operator may configure. */
export const PROVIDER_KEYS = `${Object.keys(PROVIDERS).join(', ')} or custom_<slug>`
