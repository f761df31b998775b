import type { ChangeFeed, Database, DialectName } from '@latchkey/db'
import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import type { Config } from './config/config.schema.js'
import type { Clock } from './lib/clock.js'
import type { SecretBox } from './lib/crypto.js'
import type { Services } from './services.js'

/**
 * What every service is built from. `services` is the registry itself, so a feature may call
 * another feature's service (never its repository) without an import cycle at construction.
 */
export type ServiceDeps = {
  readonly db: Kysely<Database>
  readonly dialect: DialectName
  /** Changes to clients, sessions and users from every process, for rows kept in memory. */
  readonly changes: ChangeFeed
  readonly config: Config
  readonly clock: Clock
  readonly box: SecretBox
  readonly log: Logger
  readonly services: Services
}
