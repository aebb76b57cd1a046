-- SPDX-License-Identifier: Apache-2.0
-- 7: firmware updates (docs/updates.md). One row per update command
-- rampartd sent: the device, the release (and the base of a delta; ''
-- for a full image), the state it reached ('sent', then the device's
-- reports), the download's offset and size, the reason code and detail
-- of a failure, and whether it is final. At most one update per device
-- is not final (the partial unique index: store_update_add).
CREATE TABLE updates (
  cmd_id TEXT PRIMARY KEY,
  serial TEXT NOT NULL,
  release_id TEXT NOT NULL CHECK (length(release_id) = 64),
  base_id TEXT NOT NULL DEFAULT '' CHECK (base_id = '' OR length(base_id) = 64),
  state TEXT NOT NULL,
  offset INTEGER NOT NULL DEFAULT 0 CHECK (offset >= 0),
  size INTEGER NOT NULL DEFAULT 0 CHECK (size >= 0),
  code TEXT NOT NULL DEFAULT '',
  detail TEXT NOT NULL DEFAULT '',
  final INTEGER NOT NULL DEFAULT 0 CHECK (final IN (0, 1)),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL);
CREATE INDEX updates_of ON updates (serial, created_at DESC);
CREATE UNIQUE INDEX updates_one_open ON updates (serial) WHERE final = 0;
-- A release that an unfinished update installs, or patches from, is in
-- use (migration 6: store_release_remove refuses it).
DROP VIEW release_uses;
CREATE VIEW release_uses (release_id, what) AS
  SELECT release_id, 'update ' || cmd_id FROM updates WHERE final = 0
  UNION ALL
  SELECT base_id, 'update ' || cmd_id || ' (base)' FROM updates
    WHERE final = 0 AND base_id <> '';
