import { defineStore } from 'pinia'
import { ref } from 'vue'

export type View = { readonly name: 'list' } | { readonly name: 'editor'; readonly id: string | null }

/**
 * Which screen is showing. Two screens do not need a router; this also remembers which row to
 * focus when the user comes back, so keyboard users keep their place.
 */
export const useViewStore = defineStore('view', () => {
  const current = ref<View>({ name: 'list' })
  const focusOnReturn = ref<string | null>(null)

  function openList(focusId: string | null = null): void {
    focusOnReturn.value = focusId
    current.value = { name: 'list' }
  }

  function openEditor(id: string | null): void {
    current.value = { name: 'editor', id }
  }

  return { current, focusOnReturn, openList, openEditor }
})
