import { defineStore } from 'pinia'
import { ref } from 'vue'

/** The tabs of a saved datasource's detail pane. A new datasource only has the form. */
export type DetailTab = 'overview' | 'settings' | 'history'

export type View =
  | { readonly name: 'list' }
  | { readonly name: 'editor'; readonly id: null; readonly duplicateOf?: string }
  | { readonly name: 'editor'; readonly id: string; readonly tab: DetailTab }

/** Asked before the detail pane changes: false keeps the current view (an unsaved form asks the user first). */
export type LeaveGuard = (next: View) => boolean

/**
 * What the window shows: the list (always, on a wide window) and at most one datasource's detail.
 * Two panes do not need a router; this also remembers which row to focus when the user comes back,
 * so keyboard users keep their place, and lets the open form hold a navigation until the user decides
 * what happens to their unsaved changes.
 */
export const useViewStore = defineStore('view', () => {
  const current = ref<View>({ name: 'list' })
  const focusOnReturn = ref<string | null>(null)
  /** A datasource opened from outside the window (tray, notification): its password box gets the focus, if it shows one. */
  const signInFocus = ref<{ readonly id: string; readonly seq: number } | null>(null)
  let signInSeq = 0
  let guard: LeaveGuard | null = null

  /** Goes to `next` unless the open form holds it; resolves whether the view changed. */
  function go(next: View): boolean {
    if (guard && !guard(next)) return false
    current.value = next
    return true
  }

  /** Goes to `next` without asking: the user already agreed to leave. */
  function force(next: View): void {
    current.value = next
  }

  function openList(focusId: string | null = null): boolean {
    const changed = go({ name: 'list' })
    if (changed) focusOnReturn.value = focusId
    return changed
  }

  function openEditor(id: string | null, tab: DetailTab = 'overview'): boolean {
    return go(id === null ? { name: 'editor', id: null } : { name: 'editor', id, tab })
  }

  /**
   * Opens a datasource's Overview for "Sign in..." in the tray or a click on a notification: when
   * its Overview asks for the password, the password box gets the keyboard focus.
   */
  function openForSignIn(id: string): boolean {
    const changed = go({ name: 'editor', id, tab: 'overview' })
    if (changed) signInFocus.value = { id, seq: ++signInSeq }
    return changed
  }

  /** Hands the pending sign-in focus request for `id` to its caller, once. */
  function takeSignInFocus(id: string): boolean {
    if (signInFocus.value?.id !== id) return false
    signInFocus.value = null
    return true
  }

  /** A new datasource's form, filled with another one's settings. */
  function openDuplicate(sourceId: string): boolean {
    return go({ name: 'editor', id: null, duplicateOf: sourceId })
  }

  /** Switches tabs of the open datasource (the form stays mounted across tabs, so no guard). */
  function openTab(tab: DetailTab): void {
    const view = current.value
    if (view.name === 'editor' && view.id !== null) current.value = { ...view, tab }
  }

  function setGuard(next: LeaveGuard | null): void {
    guard = next
  }

  return { current, focusOnReturn, signInFocus, go, force, openList, openEditor, openForSignIn, takeSignInFocus, openDuplicate, openTab, setGuard }
})
