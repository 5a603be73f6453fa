/**
 * Preloaded into the built CLI (NODE_OPTIONS="--import <this file's URL>") where a test cannot
 * mount a small file system: every better-sqlite3 connection the command opens gets SQLite's own
 * page limit (PRAGMA max_page_count) at the database's current size, so any write that needs one
 * more page fails with a real SQLITE_FULL from SQLite. DSD_SQLITE_PAGE_LIMIT=1 turns it on.
 */
import Module from 'node:module'

if (process.env.DSD_SQLITE_PAGE_LIMIT === '1') {
  const load = Module._load
  Module._load = function loadWithPageLimit(request, ...rest) {
    const loaded = load.call(this, request, ...rest)
    if (request !== 'better-sqlite3') return loaded
    return new Proxy(loaded, {
      construct(Database, args) {
        const db = Reflect.construct(Database, args)
        // The smallest limit SQLite accepts is the current size (a smaller one is raised to it).
        db.pragma('max_page_count = 1')
        return db
      },
    })
  }
}
