/**
 * The same node_modules serve Node (CLI, tests) and Electron (the app). A native module loads in
 * both only when it is N-API: it exports `napi_register_module_v1`. One that exports
 * `node_register_module_v<N>` loads only in the runtime with NODE_MODULE_VERSION N, which is never
 * both Node 22 (127) and Electron 45 (node_modules/electron/abi_version: 150).
 *
 * ELF symbols are read with binutils' `nm -D`; the macOS and Windows prebuilds by their export names.
 */
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { makeTempDir } from '../../support/temp-dir'

const root = process.cwd()

type AddonKind = { kind: 'napi' } | { kind: 'abi-bound'; abi: number } | { kind: 'unknown'; detail: string }

function exportedInitSymbols(file: string): string[] {
  const bytes = readFileSync(file)
  // ELF (any architecture): the dynamic symbols the loader would see. For PE and Mach-O files
  // (other platforms' prebuilds, which this binutils cannot parse) the export names are
  // NUL-terminated strings in the file; Mach-O prefixes C symbols with an underscore.
  const listing =
    bytes.toString('latin1', 1, 4) === 'ELF'
      ? execFileSync('nm', ['-D', '--defined-only', file], { encoding: 'utf8' })
      : bytes.toString('latin1').replaceAll('\0', '\n')
  return [...listing.matchAll(/\b_?((?:napi|node)_register_module_v\d+)\b/g)].map((match) => match[1] as string)
}

function classify(file: string): AddonKind {
  const symbols = new Set(exportedInitSymbols(file))
  const abiBound = [...symbols].find((symbol) => symbol.startsWith('node_register_module_v'))
  if (abiBound) return { kind: 'abi-bound', abi: Number(abiBound.slice('node_register_module_v'.length)) }
  if (symbols.has('napi_register_module_v1')) return { kind: 'napi' }
  return { kind: 'unknown', detail: 'exports neither napi_register_module_v1 nor node_register_module_v<N>' }
}

/** Folders of the packages the app ships (npm's own view of the production tree). */
function productionPackageDirs(): string[] {
  const output = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: root, encoding: 'utf8' })
  return output.split('\n').filter((line) => line !== '' && line !== root)
}

function nativeFilesIn(dir: string): string[] {
  const found: string[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    // Nested node_modules are packages of their own, listed separately by npm ls.
    if (entry.isDirectory() && entry.name !== 'node_modules') found.push(...nativeFilesIn(join(dir, entry.name)))
    else if (entry.isFile() && entry.name.endsWith('.node')) found.push(join(dir, entry.name))
  }
  return found
}

const temp = makeTempDir('dsd-napi-')
afterAll(() => temp.cleanup())

/** A real shared object with the given exported function, built by the system C compiler. */
function compiledAddon(name: string, symbol: string): string {
  const source = join(temp.dir, `${name}.c`)
  const output = join(temp.dir, `${name}.node`)
  writeFileSync(source, `void ${symbol}(void) {}\n`)
  execFileSync('cc', ['-shared', '-fPIC', '-o', output, source])
  return output
}

describe('native modules in the production dependency tree', () => {
  const nativeFiles = productionPackageDirs().flatMap(nativeFilesIn)

  it('include the ones the app depends on (the scan sees them)', () => {
    const names = nativeFiles.map((file) => relative(root, file))
    expect(names).toContain(join('node_modules', 'keytar', 'build', 'Release', 'keytar.node'))
    expect(names).toContain(join('node_modules', 'better-sqlite3', 'prebuilds', 'linux-x64.node'))
    expect(names).toContain(join('node_modules', 'better-sqlite3', 'prebuilds', 'win32-x64.node'))
    expect(names).toContain(join('node_modules', 'better-sqlite3', 'prebuilds', 'darwin-arm64.node'))
  })

  it('are all N-API, so they load in Node and in Electron alike', () => {
    const electronAbi = readFileSync(join(root, 'node_modules/electron/abi_version'), 'utf8').trim()
    const offenders = nativeFiles
      .map((file) => ({ file: relative(root, file), addon: classify(file) }))
      .flatMap(({ file, addon }) => {
        if (addon.kind === 'napi') return []
        if (addon.kind === 'abi-bound') {
          return [`${file}: built for NODE_MODULE_VERSION ${addon.abi} only (Node here is ${process.versions.modules}, Electron needs ${electronAbi})`]
        }
        return [`${file}: ${addon.detail}`]
      })
    expect(offenders).toEqual([])
  })

  it('the check tells an N-API module from one bound to a Node ABI', () => {
    expect(classify(compiledAddon('napi', 'napi_register_module_v1'))).toEqual({ kind: 'napi' })
    expect(classify(compiledAddon('abi115', 'node_register_module_v115'))).toEqual({ kind: 'abi-bound', abi: 115 })
    expect(classify(compiledAddon('plain', 'some_other_function')).kind).toBe('unknown')
  })
})
