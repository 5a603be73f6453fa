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

# If the daemon goes away mid-run, D-Bus would start the system's gnome-keyring, without this
# keyring, and every keychain test after it would fail. It did go away in several full runs: GLib
# aborted it on a Properties.Get the app sent (fixed: secret-service-lock.ts uses GetAll). Any
# client can still meet a gnome-keyring bug, so this session's own service file starts the same
# keyring again (its file is on disk, so its items are still there) and says so on stderr.
mkdir -p "$keyring_home/session/dbus-1/services"
restart="$keyring_home/restart-keyring.sh"
{
  echo '#!/bin/sh'
  echo 'echo "with-keyring: the gnome-keyring daemon was gone; started it again on the same keyring" >&2'
  echo "printf 'test\\n' | HOME='$keyring_home' XDG_DATA_HOME='$keyring_home/data' exec gnome-keyring-daemon --unlock --foreground --components=secrets"
} >"$restart"
chmod +x "$restart"
printf '[D-BUS Service]\nName=org.freedesktop.secrets\nExec=%s\n' "$restart" >"$keyring_home/session/dbus-1/services/org.freedesktop.secrets.service"

status=0
# The session bus looks for service files in $XDG_DATA_HOME/dbus-1/services before the system's;
# the command itself gets the caller's XDG_DATA_HOME back (unset if it was).
XDG_DATA_HOME="$keyring_home/session" dbus-run-session -- bash -c '
  keyring_home=$1; shift
  if [ "$1" = unset ]; then unset XDG_DATA_HOME; else export XDG_DATA_HOME="${1#set:}"; fi; shift
  printf "test\n" | HOME="$keyring_home" XDG_DATA_HOME="$keyring_home/data" \
    gnome-keyring-daemon --unlock --components=secrets >/dev/null
  # The daemon forks and takes its bus name a moment later. Until then a first keychain call would
  # start a second daemon through the service file, and a session that ends first leaves the
  # daemon running with no bus (it outlived 5 of 5 sessions of `true`).
  ask_bus() {
    dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus "org.freedesktop.DBus.$1" string:org.freedesktop.secrets 2>/dev/null
  }
  for _ in $(seq 100); do
    ask_bus NameHasOwner | grep -q "boolean true" && break
    sleep 0.05
  done
  export DATASOURCE_DESK_KEYRING_READY=1
  status=0
  "$@" || status=$?
  keyring_pid=$(ask_bus GetConnectionUnixProcessID | awk "/uint32/ { print \$2 }")
  if [ -n "$keyring_pid" ]; then kill "$keyring_pid" 2>/dev/null || true; fi
  exit "$status"
' with-keyring "$keyring_home" "$([ -n "${XDG_DATA_HOME+x}" ] && echo "set:$XDG_DATA_HOME" || echo unset)" "$@" || status=$?
exit "$status"
