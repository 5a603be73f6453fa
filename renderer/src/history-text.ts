/**
 * The history as read on screen: one sentence per event, never the same sentence twice. A failed
 * attempt that ended renewal is one event ("Action needed"), not three lines saying the same.
 */
import type { HistoryEvent } from '../../shared/history'

export interface HistoryLine {
  readonly event: HistoryEvent
  /** The error's own text, only when the message does not already say it. */
  readonly errorText: string | null
  /** The server's hint, when it adds something. */
  readonly hint: string | null
}

/** Two events of one renewal land within this time of each other. */
const SAME_ATTEMPT_MS = 5_000

function errorOf(event: HistoryEvent): string | null {
  const text = event.error?.message
  return text && !event.message.includes(text) ? text : null
}

/** Newest first, as the core sends them; a "failed" followed by the stop it caused is shown once. */
export function historyLines(events: ReadonlyArray<HistoryEvent>): HistoryLine[] {
  const lines: HistoryLine[] = []
  for (const event of events) {
    const previous = lines[lines.length - 1]?.event
    const stopped = previous && (previous.kind === 'action-needed' || previous.kind === 'sign-in-needed')
    if (
      stopped &&
      event.kind === 'failed' &&
      Math.abs(previous.at - event.at) <= SAME_ATTEMPT_MS &&
      (previous.error?.message ?? previous.message) === (event.error?.message ?? event.message)
    ) {
      continue
    }
    const hint = event.error?.hint && !event.message.includes(event.error.hint) ? event.error.hint : null
    lines.push({ event, errorText: errorOf(event), hint })
  }
  return lines
}
