import { appError, type AppError } from '../../../shared/errors'
import { KeychainError, type SecretKind } from './secret-store'

export const secretLabels: Readonly<Record<SecretKind, string>> = {
  'client-secret': 'client secret',
  password: 'password',
  'access-token': 'access token',
  'refresh-token': 'refresh token',
}

/** Turns a keychain failure into words for the user; never includes a secret (KeychainError has none). */
export function keychainAppError(error: unknown): AppError {
  if (error instanceof KeychainError) {
    // A keychain that is locked, gone or silent now is not a reason to ask for the secrets again:
    // renewal retries (transient), and never stores "action needed" for it.
    if (error.code === 'locked') {
      return appError('keychain', 'locked', 'The OS keychain is locked, so the stored secrets cannot be read.', {
        hint: 'Unlock your keychain (login keyring) and try again. The secrets are still stored; nothing needs to be entered again.',
        transient: true,
      })
    }
    const hint =
      'Make sure the OS keychain is running and unlocked (on Linux: GNOME Keyring or KWallet through the Secret Service), then try again. Nothing was saved in plain text.'
    return appError('keychain', error.code, `The OS keychain could not be used: ${error.message}`, { hint, ...(error.code === 'failed' ? {} : { transient: true }) })
  }
  return appError('keychain', 'failed', 'The OS keychain could not be used.', {
    hint: 'Make sure the OS keychain is running and unlocked, then try again. Nothing was saved in plain text.',
  })
}

export function missingSecretError(kind: SecretKind): AppError {
  return appError('keychain', 'secret-missing', `The stored ${secretLabels[kind]} is missing from the OS keychain.`, {
    hint: `Open the datasource, enter the ${secretLabels[kind]} again and save.`,
  })
}
