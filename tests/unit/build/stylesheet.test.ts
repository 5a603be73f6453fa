/**
 * The theme holds: every colour is a variable defined for both themes in renderer/src/styles.css,
 * components draw from the shared variables (no colour or type-size literal of their own), and a
 * component's own rules live in its <style scoped>, not in the global stylesheet.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../../../renderer/src', import.meta.url))
const globalCss = readFileSync(join(root, 'styles.css'), 'utf8')

function vueFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? vueFiles(join(dir, entry.name)) : entry.name.endsWith('.vue') ? [join(dir, entry.name)] : [],
  )
}

const components = vueFiles(root).map((file) => ({ file: file.slice(root.length + 1), css: /<style scoped>([\s\S]*?)<\/style>/.exec(readFileSync(file, 'utf8'))?.[1] ?? '' }))

/** The body of the first `selector { ... }` block (one level of nesting). */
function block(css: string, selector: string): string {
  const start = css.indexOf(selector)
  if (start < 0) throw new Error(`${selector} not found`)
  let depth = 0
  for (let index = css.indexOf('{', start); index < css.length; index += 1) {
    if (css[index] === '{') depth += 1
    else if (css[index] === '}' && --depth === 0) return css.slice(css.indexOf('{', start) + 1, index)
  }
  throw new Error(`${selector} is not closed`)
}

const declared = (css: string) => new Set([...css.matchAll(/(--[a-z0-9-]+):/g)].map((match) => match[1]!))
const light = declared(block(globalCss, ':root {'))
const dark = declared(block(block(globalCss, '@media (prefers-color-scheme: dark)'), ':root {'))
/** Everything outside the two :root blocks: the rules. */
const rules = [globalCss.replace(block(globalCss, ':root {'), '').replace(block(globalCss, '@media (prefers-color-scheme: dark)'), ''), ...components.map((component) => component.css)]

describe('the theme', () => {
  it('defines every variable the stylesheet and the components use', () => {
    const used = new Set(rules.flatMap((css) => [...css.matchAll(/var\((--[a-z0-9-]+)/g)].map((match) => match[1]!)))
    expect([...used].filter((name) => !light.has(name))).toEqual([])
  })

  it('gives every colour of the light theme a dark value', () => {
    const colours = [...light].filter((name) => /^#|rgb/.test(/:\s*([^;]+);/.exec(block(globalCss, ':root {').slice(block(globalCss, ':root {').indexOf(`${name}:`)))?.[1] ?? ''))
    expect(colours.length).toBeGreaterThan(15)
    expect(colours.filter((name) => !dark.has(name))).toEqual([])
  })

  it('has no colour or type-size literal outside the theme', () => {
    for (const css of rules) {
      expect(css.match(/#[0-9a-f]{3,8}\b|rgba?\(/gi) ?? []).toEqual([])
      expect(css.match(/font-size:\s*(12|12\.5|13|15|18)px/g) ?? []).toEqual([])
    }
  })
})

describe('component styles', () => {
  const owned: Readonly<Record<string, string>> = {
    'components/ConfirmDialog.vue': '.modal',
    'components/ToastHost.vue': '.toast',
    'components/KeychainBanner.vue': '.banner',
    'components/ExtraParamsEditor.vue': '.params',
    'components/HistoryList.vue': '.history',
    'components/TestResultPanel.vue': '.result',
    'components/SignInPrompt.vue': '.sign-in',
    'components/EmptyState.vue': '.empty',
    'App.vue': '.app',
    'views/DatasourceEditorView.vue': '.form',
  }

  it.each(Object.entries(owned))('%s owns its %s rules; the global stylesheet has none', (file, prefix) => {
    expect(components.find((component) => component.file === file)?.css).toContain(`${prefix}`)
    expect(globalCss).not.toMatch(new RegExp(`^\\${prefix}[\\s_.{-]`, 'm'))
  })
})
