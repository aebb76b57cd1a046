-- SPDX-License-Identifier: Apache-2.0
-- 6: firmware releases (docs/releases.md). The fleet's trusted release
-- key sets, every one installed (the current one is the highest epoch;
-- epochs only go up, so the epoch is the key), and the releases:
-- content-addressed by the SHA-256 of the image file, with what its
-- verified header says, the operator's notes and an optional SBOM (JSON
-- text; NULL: none). The image itself is DATA/releases/ID.img, never in
-- the database.
CREATE TABLE release_keysets (
  epoch INTEGER PRIMARY KEY CHECK (epoch >= 0),
  rpks BLOB NOT NULL,
  installed_at INTEGER NOT NULL);
CREATE TABLE releases (
  id TEXT PRIMARY KEY CHECK (length(id) = 64),
  hw_type TEXT NOT NULL,
  ver_major INTEGER NOT NULL,
  ver_minor INTEGER NOT NULL,
  ver_patch INTEGER NOT NULL,
  counter INTEGER NOT NULL,
  kind INTEGER NOT NULL CHECK (kind IN (0, 1)),
  payload_size INTEGER NOT NULL,
  file_size INTEGER NOT NULL,
  build_time INTEGER NOT NULL,
  notes TEXT NOT NULL DEFAULT '',
  sbom TEXT,
  created_at INTEGER NOT NULL);
CREATE INDEX releases_order ON releases (hw_type, ver_major DESC,
  ver_minor DESC, ver_patch DESC, counter DESC, id);
-- What uses a release: one row (release_id, what) per use. A release in
-- it cannot be removed (store_release_remove: RP_E_STATE). Nothing uses
-- releases yet; the migration that adds device assignments or rollouts
-- drops this view and creates it again over its table, e.g.
--   DROP VIEW release_uses;
--   CREATE VIEW release_uses (release_id, what) AS
--     SELECT release_id, 'device ' || serial FROM device_releases
--     UNION ALL SELECT release_id, 'rollout ' || id FROM rollouts;
-- and the remove needs no change.
CREATE VIEW release_uses (release_id, what) AS
  SELECT NULL, NULL WHERE 0;
