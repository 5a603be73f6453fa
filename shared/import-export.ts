/** Import and Export in the window: what an import would do (the preview) and what it did. */
/** What Export did: nothing when the user cancelled the save dialog. */
export type ExportReceipt = { readonly saved: false } | { readonly saved: true; readonly path: string; readonly count: number }

export interface ImportPreviewEntry {
  readonly name: string
  /** add: a new datasource; replace: its settings overwrite the existing one of that name; unchanged: the same settings are stored already. */
  readonly action: 'add' | 'replace' | 'unchanged'
  readonly existingId?: string
  /** The token URL's host ('' for a datasource without authentication). */
  readonly tokenHost: string
  readonly username: string
  /** The datasource will have no client secret or password to sign in with: the user enters them after import. */
  readonly needsSecrets: boolean
  /** Replacing moves the token URL to another origin: the stored client secret and password are dropped, not sent there. */
  readonly secretsDropped: boolean
}

/** What Import would do with the chosen file; nothing is stored until applyImport. */
export type ImportPreview =
  | { readonly chosen: false }
  | { readonly chosen: true; readonly importId: string; readonly fileName: string; readonly entries: ReadonlyArray<ImportPreviewEntry> }

export interface ImportReport {
  readonly added: ReadonlyArray<{ readonly id: string; readonly name: string }>
  readonly replaced: ReadonlyArray<{ readonly id: string; readonly name: string }>
  /** Existing datasources left as they were: the same settings, or the user chose not to replace them. */
  readonly skipped: ReadonlyArray<string>
  /** Imported datasources that need their client secret and/or password entered in Settings. */
  readonly needSecrets: ReadonlyArray<{ readonly id: string; readonly name: string }>
}
