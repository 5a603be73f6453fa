/** Main-process entry (out/main/index.js): starts the app with the real core. */
import { app } from 'electron'
import { createCore } from '../core/core'
import { reportStartupFailure, startApp } from './app'

startApp({ createCore }).catch((error: unknown) => {
  // A half-started app in the tray would be worse than none: say why, then go.
  reportStartupFailure(error)
  app.exit(1)
})
