import { createCore } from './app.js'
import { ConfigError, loadConfig } from './config/load-config.js'
import { PRESET_NAMES, type PresetName } from './templates/presets.js'

const USAGE = `usage: latchkey <command>

  info                              print the Frontend API URL, publishable key and JWKS URL
  jwt-templates list                list JWT templates (JSON)
  jwt-templates create-preset NAME  create a JWT template from a preset (${PRESET_NAMES.join(', ')})

Reads the same environment variables as the server (see the README).`

/** The operator CLI: acts on the instance's database directly, with the server's configuration. */
async function main(argv: string[]): Promise<number> {
  const [command, sub, arg] = argv
  if (!command || command === 'help' || command === '--help') {
    process.stdout.write(`${USAGE}\n`)
    return command ? 0 : 2
  }
  const known =
    command === 'info' ||
    (command === 'jwt-templates' &&
      (sub === 'list' || (sub === 'create-preset' && arg !== undefined)))
  if (!known) {
    process.stderr.write(`latchkey: unknown command: ${argv.join(' ')}\n\n${USAGE}\n`)
    return 2
  }
  if (
    command === 'jwt-templates' &&
    sub === 'create-preset' &&
    !PRESET_NAMES.includes(arg as PresetName)
  ) {
    process.stderr.write(`latchkey: unknown preset ${arg}; presets: ${PRESET_NAMES.join(', ')}\n`)
    return 2
  }
  const config = loadConfig(process.env)
  const core = await createCore({ config })
  try {
    const { services } = core
    if (command === 'info') {
      process.stdout.write(
        `${JSON.stringify({ frontend_api_url: config.url, publishable_key: services.instance.publishableKey(), jwks_url: `${config.url}/.well-known/jwks.json`, instance_id: services.instance.id }, null, 2)}\n`,
      )
    } else if (sub === 'list') {
      const rows = await services.jwtTemplates.list(500, 0)
      process.stdout.write(
        `${JSON.stringify(
          rows.map((t) => services.jwtTemplates.toJSON(t)),
          null,
          2,
        )}\n`,
      )
    } else {
      const t = await services.jwtTemplates.createPreset(arg as PresetName)
      process.stdout.write(`${JSON.stringify(services.jwtTemplates.toJSON(t), null, 2)}\n`)
    }
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
