#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with a real, unlocked, throwaway gnome-keyring, so
# that tests use the OS keychain (Secret Service) without ever touching the user's own keyring.
# See ../shared/ENVIRONMENT.md: an empty keyring password makes gnome-keyring try a graphical prompt.
set -euo pipefail

if [ -n "${DATASOURCE_DESK_KEYRING_READY:-}" ]; then
  exec "$@"
fi
for tool in dbus-run-session gnome-keyring-daemon; do
  if ! command -v "$tool" >/dev/null; then
    echo "with-keyring: $tool is missing; install the Debian packages dbus and gnome-keyring (see README)" >&2
    exit 1
  fi
done

keyring_home=$(mktemp -d)
trap 'rm -rf "$keyring_home"' EXIT

status=0
dbus-run-session -- bash -c '
  keyring_home=$1; shift
  printf "test\n" | HOME="$keyring_home" XDG_DATA_HOME="$keyring_home/data" \
    gnome-keyring-daemon --unlock --components=secrets >/dev/null
  export DATASOURCE_DESK_KEYRING_READY=1
  "$@"
' with-keyring "$keyring_home" "$@" || status=$?
exit "$status"
