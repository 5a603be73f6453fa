/** What the window needs to know about the app itself. */
export interface AppState {
  /** False when the OS keychain cannot be reached; the UI shows a banner and refuses to save secrets. */
  readonly keychainAvailable: boolean
  readonly keychainMessage?: string
  readonly dataDir: string
}
