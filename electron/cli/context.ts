/**
 * The core as the command uses it: the app's database and keychain service, the same service and
 * handler table as the app, but none of the app's start-up work. createCore() would load every
 * datasource into the renewal scheduler (arming its timer) and sweep the keychain; a command works
 * on one datasource and must exit as soon as it is done.
 */
import type { HandlerTable } from '../../shared/ipc'
import type { DatasourceRecord } from '../core/db/datasource-repository'
import { silentLogger } from '../core/deps'
import { createHandlers } from '../core/handlers'
import { TokenActions } from '../core/token-actions'
import { openRenewalContext, type RenewalContext, type RenewalContextOptions } from './renewal-context'

export type CliContextOptions = RenewalContextOptions

export interface CliContext extends RenewalContext {
  readonly handlers: HandlerTable
  findByName(name: string): DatasourceRecord | undefined
}

export function openCliContext(options: CliContextOptions): CliContext {
  const context = openRenewalContext(options)
  const { repo, clock } = context
  // No clipboard in a terminal: `datasource-desk token` prints the token instead.
  const tokenActions = new TokenActions({ repo, readAccessToken: (id) => context.service.readSecret(id, 'access-token'), clipboard: null, clock, logger: silentLogger })
  return {
    ...context,
    handlers: createHandlers(context.service, tokenActions, silentLogger),
    findByName(name) {
      const id = repo.idByName(name)
      return id === undefined ? undefined : repo.get(id)
    },
  }
}
