/**
 * The configuration a core-child (core-child.ts) reads, and the form it saves; shared with the
 * parent tests, which must not import core-child.ts itself (it runs on import).
 */
import type { DatasourceInput } from '../../shared/datasource'
import { passwordFormFor, type FormCredentials } from './password-form'

export type ChildCredentials = FormCredentials

export interface ChurnConfig {
  readonly mode: 'churn'
  readonly dataDir: string
  readonly keychainService: string
  readonly tokenUrl: string
  readonly apiUrl: string
  readonly credentials: ChildCredentials
}

export interface ProbeConfig {
  readonly mode: 'probe'
  readonly dataDir: string
  readonly keychainService: string
  readonly keychainTimeoutMs: number
  readonly tokenUrl: string
  readonly apiUrl: string
  readonly credentials: ChildCredentials
}

export interface ProbeReport {
  readonly startMs: number
  readonly listed: ReadonlyArray<string>
  readonly appState: { readonly keychainAvailable: boolean; readonly keychainMessage?: string }
  readonly appStateMs: number
  readonly save: { readonly ok: boolean; readonly kind?: string; readonly code?: string; readonly message?: string; readonly hint?: string }
  readonly saveMs: number
}

/** Child processes name their temporary datasources with this prefix; the parent keeps the rest. */
export const CHURN_PREFIX = 'churn-'

export function childForm(config: { tokenUrl: string; apiUrl: string; credentials: ChildCredentials }, name: string): DatasourceInput {
  return passwordFormFor(config, config.credentials, {}, name)
}
