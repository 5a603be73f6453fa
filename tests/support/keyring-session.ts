/**
 * Fails a keychain test early, with the way to run it, when it is not inside the private D-Bus
 * session that tests/support/with-keyring.sh starts (npm test always is).
 */
export function requireKeyringSession(): void {
  if (!process.env.DATASOURCE_DESK_KEYRING_READY) {
    throw new Error('Run this test inside tests/support/with-keyring.sh (it needs a D-Bus session with gnome-keyring)')
  }
}
