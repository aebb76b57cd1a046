-- SPDX-License-Identifier: Apache-2.0
-- 5: the order of addition of certificates and commands as a column
-- (added_seq: 1, 2, ... in the order rows were added), which store.h's
-- listings use; before, they used SQLite's implicit rowid, which VACUUM
-- may renumber in tables without an INTEGER PRIMARY KEY. Rows of an older
-- store keep their order: the rowid they had is their place.
ALTER TABLE certs ADD COLUMN added_seq INTEGER NOT NULL DEFAULT 0;
UPDATE certs SET added_seq = rowid;
CREATE INDEX certs_added ON certs (added_seq);
ALTER TABLE commands ADD COLUMN added_seq INTEGER NOT NULL DEFAULT 0;
UPDATE commands SET added_seq = rowid;
CREATE INDEX commands_added ON commands (added_seq);
