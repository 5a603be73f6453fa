/** A datasource's history: what happened to its token, one readable line each. */
import type { AppError } from './errors'

export type HistoryKind = 'obtained' | 'renewed' | 'failed' | 'config-changed' | 'sign-in-needed' | 'action-needed'

export interface HistoryEvent {
  readonly id: number
  readonly datasourceId: string
  readonly at: number
  readonly kind: HistoryKind
  /** One readable line, never a secret. */
  readonly message: string
  readonly grant?: 'password' | 'refresh_token'
  readonly attempt?: number
  readonly error?: AppError
}
