export * from './codec.js'
export * from './create-db.js'
export type * from './schema.js'
