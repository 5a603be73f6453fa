/** Main-process entry (out/main/index.js): starts the app with the real core. */
import { app } from 'electron'
import { createCore } from '../core/core'
import { startApp } from './app'

startApp({ createCore }).catch((error: unknown) => {
  // Nothing is set up to report to; a half-started app in the tray would be worse than none.
  console.error('Datasource Desk failed to start:', error instanceof Error ? error.message : error)
  app.exit(1)
})
