/**
 * Imported first by main.ts. Zod decides at schema construction whether to JIT-compile parsers
 * with `new Function`; under our CSP (no 'unsafe-eval') even its probe is reported as a violation.
 * So jitless must be set before shared/ defines any schema; the interpreted path is fast enough.
 */
import { z } from 'zod'

z.config({ jitless: true })
