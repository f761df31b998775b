import { createCore, type LatchkeyCore } from './app.js'
import type { Config } from './config/config.schema.js'
import { ConfigError, loadConfig } from './config/load-config.js'
import { listMailbox, readMailboxEntry } from './mail/mailbox-reader.js'
import { PRESET_NAMES, type PresetName } from './templates/presets.js'
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from './webhooks/webhook-events.js'
import { endpointJSON } from './webhooks/webhooks.service.js'

const USAGE = `usage: latchkey <command>

  info                              print the Frontend API URL, publishable key and JWKS URL
  jwt-templates list                list JWT templates (JSON)
  jwt-templates create-preset NAME  create a JWT template from a preset (${PRESET_NAMES.join(', ')})
  secret-keys list                  list the Backend API's secret keys (id, prefix, created_at;
                                    never the keys, which are stored only as hashes)
  secret-keys create [--label TEXT]  issue a new secret key and print it (JSON), once
  secret-keys revoke ID             revoke a secret key: running servers refuse it at once
  operators list                    list the users who may sign in to the dashboard (JSON)
  operators add EMAIL|USER_ID       let a user sign in to the dashboard at /dashboard
  operators remove EMAIL|USER_ID    take that away; their dashboard sign-ins stop at once
  mail [list]                       list the dev mailbox (mail kept when LATCHKEY_SMTP_URL is
                                    unset), newest first
  mail show N|ID                    print message N of the list (1 = newest) or by id
  webhooks list                     list webhook endpoints (JSON)
  webhooks create URL [TYPES]       add an endpoint for every event, or the comma-separated
                                    TYPES (user.created,user.deleted…); prints its secret once
  webhooks delete|enable|disable ID
  webhooks secret ID                print the endpoint's current signing secret
  webhooks rotate-secret ID         a new secret, printed once (the old one signs 24 h more)
  webhooks test ID                  queue a test event to the endpoint (a running server sends it)
  webhooks deliveries ID            the endpoint's latest deliveries with their attempts (JSON)
  webhooks stats                    delivery lag and counts per endpoint (JSON)

Reads the same environment variables as the server (see the README).`

type Command = (core: LatchkeyCore, config: Config, arg: string | undefined) => Promise<unknown>

const json = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`)

/** Each command by `<command> <sub>`; `needsArg` ones take one argument. */
const COMMANDS: Record<string, { run: Command; needsArg?: boolean }> = {
  info: {
    run: async ({ services }, config) =>
      json({
        frontend_api_url: config.url,
        publishable_key: services.instance.publishableKey(),
        jwks_url: `${config.url}/.well-known/jwks.json`,
        instance_id: services.instance.id,
      }),
  },
  'jwt-templates list': {
    run: async ({ services }) =>
      json((await services.jwtTemplates.list(500, 0)).map((t) => services.jwtTemplates.toJSON(t))),
  },
  'jwt-templates create-preset': {
    needsArg: true,
    run: async ({ services }, _config, arg) =>
      json(
        services.jwtTemplates.toJSON(await services.jwtTemplates.createPreset(arg as PresetName)),
      ),
  },
  'secret-keys list': {
    run: async ({ services }) =>
      json((await services.secretKeys.list()).map((k) => ({ object: 'secret_key', ...k }))),
  },
  'secret-keys create': {
    run: async ({ services }, _config, label) =>
      json({
        object: 'secret_key',
        ...(await services.secretKeys.issue(undefined, label || null)),
      }),
  },
  'secret-keys revoke': {
    needsArg: true,
    run: async ({ services }, _config, id) => {
      await services.secretKeys.revoke(id as string)
      json({ object: 'secret_key', id, deleted: true })
    },
  },
  'operators list': {
    run: async ({ services }) => json(await services.operators.list()),
  },
  'operators add': {
    needsArg: true,
    run: async ({ services }, _config, ref) =>
      json(await services.operators.add(await services.operators.resolveUser(ref as string))),
  },
  'operators remove': {
    needsArg: true,
    run: async ({ services }, _config, ref) => {
      const id = await services.operators.resolveUser(ref as string)
      await services.operators.remove(id)
      json({ object: 'operator', id, deleted: true })
    },
  },
}

/**
 * `secret-keys create --label TEXT` (or `--label=TEXT`): the label as the command's argument;
 * anything else after `create` is left for the usage error.
 */
function labelArgs(argv: string[]): string[] {
  const [command, sub, ...rest] = argv
  if (command !== 'secret-keys' || sub !== 'create' || rest.length === 0) return argv
  const [flag, value, ...more] = rest
  if (flag === '--label' && value !== undefined && more.length === 0)
    return [command, sub, value.trim().slice(0, 100)]
  if (flag?.startsWith('--label=') && value === undefined)
    return [command, sub, flag.slice('--label='.length).trim().slice(0, 100)]
  return argv
}

/** `latchkey webhooks …`: the Backend API's /v1/webhooks, on the database directly. */
const WEBHOOKS: Record<string, (core: LatchkeyCore, args: string[]) => Promise<unknown>> = {
  list: async ({ services }) => (await services.webhooks.list()).map(endpointJSON),
  create: async ({ services }, [url, types]) => {
    const eventTypes = types?.split(',').map((t) => t.trim())
    for (const t of eventTypes ?? [])
      if (!(WEBHOOK_EVENT_TYPES as readonly string[]).includes(t))
        throw new UsageError(`unknown event type ${t}; types: ${WEBHOOK_EVENT_TYPES.join(', ')}`)
    const { row, secret } = await services.webhooks.create({
      url,
      eventTypes: eventTypes as WebhookEventType[] | undefined,
    })
    return { ...endpointJSON(row), secret }
  },
  delete: async ({ services }, [id = '']) => {
    await services.webhooks.delete(id)
    return { object: 'webhook_endpoint', id, deleted: true }
  },
  enable: async ({ services }, [id = '']) =>
    endpointJSON(await services.webhooks.update(id, { enabled: true })),
  disable: async ({ services }, [id = '']) =>
    endpointJSON(await services.webhooks.update(id, { enabled: false })),
  secret: async ({ services }, [id = '']) => ({
    object: 'webhook_endpoint_secret',
    endpoint_id: id,
    secret: await services.webhooks.secret(id),
  }),
  'rotate-secret': async ({ services }, [id = '']) => {
    const { row, secret } = await services.webhooks.rotateSecret(id)
    return { ...endpointJSON(row), secret }
  },
  test: async ({ services }, [id = '']) => {
    const sent = await services.webhooks.sendTest(id)
    return { object: 'webhook_test', endpoint_id: id, event_id: sent.eventId }
  },
  deliveries: async ({ services }, [id = '']) =>
    services.webhooks.deliveries(id, { limit: 20, offset: 0 }),
  stats: async ({ services }) => services.webhooks.stats(),
}
/** How many arguments each `webhooks` subcommand takes: [min, max]. */
const WEBHOOK_ARITY: Record<string, [number, number]> = {
  list: [0, 0],
  create: [1, 2],
  stats: [0, 0],
}

class UsageError extends Error {}

async function webhooks(sub: string | undefined, args: string[]): Promise<number> {
  const run = sub ? WEBHOOKS[sub] : undefined
  const [min, max] = (sub && WEBHOOK_ARITY[sub]) || [1, 1]
  if (!run || args.length < min || args.length > max) {
    process.stderr.write(
      `latchkey: unknown command: webhooks ${[sub, ...args].join(' ')}\n\n${USAGE}\n`,
    )
    return 2
  }
  const core = await createCore({ config: loadConfig(process.env) })
  try {
    json(await run(core, args))
    return 0
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    process.stderr.write(`latchkey: ${error.message}\n`)
    return 2
  } finally {
    await core.db.close()
  }
}

/**
 * `latchkey mail`: the dev mailbox is files in the data directory (dev-mailbox.ts); reading it
 * needs neither the database nor the instance's keys.
 */
function mail(sub: string | undefined, arg: string | undefined, extra: number): number {
  const { dataDir } = loadConfig(process.env)
  if ((sub === undefined || sub === 'list') && arg === undefined && extra === 0) {
    const entries = listMailbox(dataDir)
    if (entries.length === 0) process.stdout.write(`no mail in ${dataDir}/mail\n`)
    for (const e of entries)
      process.stdout.write(
        `${String(e.n).padStart(3)}  ${e.date}  ${e.to}  ${e.subject}  (${e.id})\n`,
      )
    return 0
  }
  if (sub === 'show' && arg !== undefined && extra === 0) {
    const entry = readMailboxEntry(dataDir, arg)
    if (!entry) {
      process.stderr.write(`latchkey: no message ${arg} in ${dataDir}/mail (see latchkey mail)\n`)
      return 1
    }
    const head = [`To:      ${entry.to}`, `Subject: ${entry.subject}`, `Date:    ${entry.date}`]
    process.stdout.write(`${head.join('\n')}\nFile:    ${entry.file}\n\n${entry.text}\n`)
    return 0
  }
  process.stderr.write(
    `latchkey: unknown command: mail ${[sub, arg].join(' ').trim()}\n\n${USAGE}\n`,
  )
  return 2
}

/** The operator CLI: acts on the instance's database directly, with the server's configuration. */
async function main(args: string[]): Promise<number> {
  const argv = labelArgs(args)
  const [command, sub, arg] = argv
  if (!command || command === 'help' || command === '--help') {
    process.stdout.write(`${USAGE}\n`)
    return command ? 0 : 2
  }
  if (command === 'mail') return mail(sub, arg, Math.max(0, argv.length - 3))
  if (command === 'webhooks') return webhooks(sub, argv.slice(2))
  const name = command === 'info' ? command : `${command} ${sub}`
  const found = COMMANDS[name]
  // `secret-keys create` takes its label as an optional argument, when labelArgs found one.
  const optionalArg = name === 'secret-keys create' && argv !== args
  if (
    !found ||
    (!optionalArg && (found.needsArg === true) !== (arg !== undefined)) ||
    argv.length > 3
  ) {
    process.stderr.write(`latchkey: unknown command: ${argv.join(' ')}\n\n${USAGE}\n`)
    return 2
  }
  if (name === 'jwt-templates create-preset' && !PRESET_NAMES.includes(arg as PresetName)) {
    process.stderr.write(`latchkey: unknown preset ${arg}; presets: ${PRESET_NAMES.join(', ')}\n`)
    return 2
  }
  const config = loadConfig(process.env)
  const core = await createCore({ config })
  try {
    if (core.bootstrap.secretKeyFile)
      process.stderr.write(
        `latchkey: first boot of this instance: its secret key is in ${core.bootstrap.secretKeyFile}\n`,
      )
    await found.run(core, config, arg)
    return 0
  } finally {
    await core.db.close()
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof ConfigError) process.stderr.write(`latchkey: ${error.message}\n`)
    else if (error && typeof error === 'object' && 'toJSON' in error && 'status' in error) {
      process.stderr.write(
        `latchkey: ${JSON.stringify((error as { toJSON(): unknown }).toJSON())}\n`,
      )
    } else
      process.stderr.write(`latchkey: ${error instanceof Error ? error.stack : String(error)}\n`)
    process.exit(1)
  },
)
