// The user's second factors as the Frontend API answers them (issue #17): Clerk's `TOTP`,
// `BackupCodes` and deleted-object resources, in SDK casing.

export type TOTPJSON = {
  object: 'totp'
  id: string
  secret?: string | null
  uri?: string | null
  verified: boolean
  backup_codes?: string[] | null
  created_at: number
  updated_at: number
}
export type BackupCodeJSON = {
  object: 'backup_code'
  id: string
  codes: string[]
  created_at: number
  updated_at: number
}
export type DeletedObjectJSON = { object: string; id?: string | null; deleted: boolean }

const date = (ms: number | null | undefined) => (ms == null ? null : new Date(ms))

/**
 * An authenticator app being set up or set up (Clerk's `TOTPResource`): `secret` and `uri` (the
 * `otpauth://` URI a QR code carries) only from `createTOTP()`, `backupCodes` only from the first
 * `verifyTOTP()`.
 *
 * @example
 * const totp = await user.createTOTP()
 * showQrCode(totp.uri)
 * const done = await user.verifyTOTP({ code: '123456' })
 * console.log(done.verified, done.backupCodes)
 */
export class TOTPResource {
  readonly id: string
  readonly secret: string | undefined
  readonly uri: string | undefined
  readonly verified: boolean
  readonly backupCodes: string[] | undefined
  readonly createdAt: Date | null
  readonly updatedAt: Date | null

  constructor(json: TOTPJSON) {
    this.id = json.id
    this.secret = json.secret ?? undefined
    this.uri = json.uri ?? undefined
    this.verified = json.verified
    this.backupCodes = json.backup_codes ?? undefined
    this.createdAt = date(json.created_at)
    this.updatedAt = date(json.updated_at)
  }
}

/**
 * A fresh set of backup codes (Clerk's `BackupCodeResource`): shown this once, each good for one
 * sign-in.
 *
 * @example
 * const { codes } = await user.createBackupCode()
 */
export class BackupCodeResource {
  readonly id: string
  readonly codes: string[]
  readonly createdAt: Date | null
  readonly updatedAt: Date | null

  constructor(json: BackupCodeJSON) {
    this.id = json.id
    this.codes = json.codes
    this.createdAt = date(json.created_at)
    this.updatedAt = date(json.updated_at)
  }
}

/**
 * What a delete answers (Clerk's `DeletedObjectResource`).
 *
 * @example
 * const { deleted } = await user.disableTOTP()
 */
export type DeletedObjectResource = { object: string; id: string | null; deleted: boolean }

export const deletedObject = (json: DeletedObjectJSON): DeletedObjectResource => ({
  object: json.object,
  id: json.id ?? null,
  deleted: json.deleted,
})
