import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { ImportPreview, ImportReport } from '../../../shared/import-export'
import { getApi } from '../api'
import { call, useDatasourcesStore } from './datasources-store'
import { useToastStore } from './toast-store'

type ChosenPreview = Extract<ImportPreview, { chosen: true }>

/**
 * Export and Import. The main process shows the save and open dialogs and the core reads and
 * writes the file; the window only shows the preview (what would be added or replaced), asks
 * before replacing, and says which imported datasources still need their secrets.
 */
export const useTransferStore = defineStore('transfer', () => {
  const datasources = useDatasourcesStore()
  const toasts = useToastStore()

  const preview = ref<ChosenPreview | null>(null)
  const report = ref<ImportReport | null>(null)
  const busy = ref(false)

  const adds = computed(() => preview.value?.entries.filter((entry) => entry.action === 'add') ?? [])
  const replaces = computed(() => preview.value?.entries.filter((entry) => entry.action === 'replace') ?? [])
  const unchanged = computed(() => preview.value?.entries.filter((entry) => entry.action === 'unchanged') ?? [])

  async function exportDatasources(ids?: ReadonlyArray<string>): Promise<void> {
    if (busy.value) return
    busy.value = true
    try {
      const result = await call(() => getApi().exportToFile(ids ? { ids: [...ids] } : {}))
      if (!result.ok) toasts.show(result.error.message, 'error', 8000)
      else if (result.value.saved) {
        const { count, path } = result.value
        toasts.show(`Exported ${count} datasource${count === 1 ? '' : 's'} to ${path} (without secrets).`, 'info', 8000)
      }
    } finally {
      busy.value = false
    }
  }

  async function chooseImportFile(): Promise<void> {
    if (busy.value) return
    busy.value = true
    try {
      const result = await call(() => getApi().previewImport({}))
      if (!result.ok) toasts.show(`${result.error.message} ${result.error.hint ?? ''}`.trim(), 'error', 10_000)
      else if (result.value.chosen) preview.value = result.value
    } finally {
      busy.value = false
    }
  }

  async function applyImport(replaceExisting: boolean): Promise<void> {
    const current = preview.value
    if (!current || busy.value) return
    busy.value = true
    try {
      const result = await call(() => getApi().applyImport({ importId: current.importId, replaceExisting }))
      preview.value = null
      if (!result.ok) {
        toasts.show(`${result.error.message} ${result.error.hint ?? ''}`.trim(), 'error', 10_000)
        return
      }
      await datasources.load()
      const { added, replaced } = result.value
      const parts = [added.length ? `added ${added.length}` : '', replaced.length ? `replaced ${replaced.length}` : ''].filter(Boolean)
      toasts.show(`Import done: ${parts.join(', ') || 'nothing changed'}.`)
      if (result.value.needSecrets.length > 0) report.value = result.value
    } finally {
      busy.value = false
    }
  }

  function cancelImport(): void {
    preview.value = null
  }

  function closeReport(): void {
    report.value = null
  }

  return { preview, report, busy, adds, replaces, unchanged, exportDatasources, chooseImportFile, applyImport, cancelImport, closeReport }
})
