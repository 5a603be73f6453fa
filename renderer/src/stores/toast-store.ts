import { defineStore } from 'pinia'
import { ref } from 'vue'

export interface Toast {
  readonly id: number
  readonly text: string
  readonly tone: 'info' | 'error'
}

/** Short confirmations ("Saved") announced through one polite live region. */
export const useToastStore = defineStore('toast', () => {
  const toasts = ref<Toast[]>([])
  let nextId = 1

  function dismiss(id: number): void {
    toasts.value = toasts.value.filter((toast) => toast.id !== id)
  }

  function show(text: string, tone: Toast['tone'] = 'info', durationMs = 4000): number {
    const id = nextId++
    // Keep at most three: a burst of renew errors must not cover the window.
    toasts.value = [...toasts.value.slice(-2), { id, text, tone }]
    setTimeout(() => dismiss(id), durationMs)
    return id
  }

  return { toasts, show, dismiss }
})
