/**
 * "Did you mean ...?" for typos in command names, options and datasource names: the closest
 * candidate by edit distance, offered only when it is close enough to be a typo and not a guess.
 */

/** Edit distance counting a swap of two neighbours as one edit ("lsit" is one from "list"). */
export function editDistance(a: string, b: string, limit = 3): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)))
  const at = (i: number, j: number): number => rows[i]?.[j] ?? Number.POSITIVE_INFINITY
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let value = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, at(i - 2, j - 2) + 1)
      const row = rows[i]
      if (row) row[j] = value
    }
  }
  return Math.min(at(a.length, b.length), limit + 1)
}

/** The closest candidate within a third of the word's length (at least 1, at most 3 edits), case-insensitively. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const target = word.toLowerCase()
  const limit = Math.min(3, Math.max(1, Math.floor(target.length / 3)))
  let best: { candidate: string; distance: number } | undefined
  for (const candidate of candidates) {
    const lower = candidate.toLowerCase()
    const distance = lower.startsWith(target) && target.length >= 3 ? 1 : editDistance(target, lower, limit)
    if (distance <= limit && (!best || distance < best.distance)) best = { candidate, distance }
  }
  return best?.candidate
}

/** ' Did you mean "list"?' or an empty string. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const match = closest(word, candidates)
  return match ? ` Did you mean "${match}"?` : ''
}
