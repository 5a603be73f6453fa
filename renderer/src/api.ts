/**
 * The only module that reads `window.api`, the object the preload exposes (or the e2e harness
 * defines). Everything else goes through `getApi()`, so there is one place to see what the
 * renderer may do and one seam for tests (they assign a fake to `window.api`).
 */
import type { DatasourceApi } from '../../shared/ipc'
import type { AppError } from '../../shared/errors'

declare global {
  interface Window {
    api: DatasourceApi
  }
}

/** Returns the preload's api; read on every call so that a test can swap it between cases. */
export function getApi(): DatasourceApi {
  const api = (window as Partial<Window>).api
  if (!api) {
    // Happens when the page is opened in a plain browser: say so instead of failing somewhere deep.
    throw new Error('window.api is missing: the renderer must run inside Datasource Desk (the preload defines it).')
  }
  return api
}

/**
 * Turns a rejected IPC call (the channel itself broke, which handlers never do on purpose) into the
 * same AppError shape as a returned failure, so callers handle one kind of error.
 */
export function ipcFailure(cause: unknown): AppError {
  return {
    kind: 'internal',
    code: 'ipc',
    message: 'The app could not reach its background process.',
    hint: 'Try again. If it keeps happening, restart Datasource Desk.',
    ...(cause instanceof Error && cause.message ? { errorDescription: cause.message } : {}),
  }
}
