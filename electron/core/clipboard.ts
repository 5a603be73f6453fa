/**
 * The system clipboard, as the core sees it: Electron's clipboard in the app, a recording fake or
 * the page's own clipboard in tests. Injected through createCore, so the core never imports
 * 'electron' and a token copied from the window never passes through the renderer.
 */
export interface ClipboardPort {
  writeText(text: string): void | Promise<void>
  readText(): string | Promise<string>
}
