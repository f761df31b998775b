import { fileURLToPath } from 'node:url'
import ts from 'typescript'

/** One name a package entry exports, and whether it exists at run time (not only as a type). */
export type PublicExport = { name: string; isValue: boolean }

const REACT_TSCONFIG = fileURLToPath(new URL('../../packages/react/tsconfig.json', import.meta.url))

/**
 * Every name each source entry exports, read by the TypeScript compiler (so `export *` and
 * re-exports count), with the repository's own options: the source is the list of what a
 * package promises, which the packed declarations and JavaScript are then held to.
 */
export function publicExports(entries: string[]): Map<string, PublicExport[]> {
  const config = ts.getParsedCommandLineOfConfigFile(
    REACT_TSCONFIG,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'))
      },
    },
  )
  if (!config) throw new Error(`cannot read ${REACT_TSCONFIG}`)
  const program = ts.createProgram(entries, config.options)
  const checker = program.getTypeChecker()
  const result = new Map<string, PublicExport[]>()
  for (const entry of entries) {
    const file = program.getSourceFile(entry)
    const module = file && checker.getSymbolAtLocation(file)
    if (!module) throw new Error(`${entry} is not a module`)
    const names = checker.getExportsOfModule(module).map((symbol) => {
      const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol
      const typeOnly = symbol.declarations?.some((d) => ts.isTypeOnlyExportDeclaration(d)) ?? false
      return {
        name: symbol.name,
        isValue: !typeOnly && (target.flags & ts.SymbolFlags.Value) !== 0,
      }
    })
    result.set(
      entry,
      names.sort((a, b) => a.name.localeCompare(b.name)),
    )
  }
  return result
}
