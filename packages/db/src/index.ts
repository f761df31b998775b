export * from './codec.js'
export * from './create-db.js'
export * from './prepared.js'
export type * from './schema.js'
