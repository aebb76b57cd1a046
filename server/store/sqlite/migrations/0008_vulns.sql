-- SPDX-License-Identifier: Apache-2.0
-- 8: known vulnerabilities (docs/releases.md "Known vulnerabilities"):
-- the OSV records an operator imported, each as its JSON text, keyed by
-- its id. modified_us is its "modified" time in microseconds since the
-- epoch (UTC), which decides whether an import replaces it: only a newer
-- record does; versions counts the replacements (0: as first imported),
-- so that the one statement of an import says what it did.
CREATE TABLE vulns (
  id TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 128),
  modified_us INTEGER NOT NULL,
  record TEXT NOT NULL,
  imported_at INTEGER NOT NULL,
  versions INTEGER NOT NULL DEFAULT 0);
