-- SPDX-License-Identifier: Apache-2.0
-- 3: quarantine (a flag on an enrolled device, with why and when).
ALTER TABLE devices ADD COLUMN quarantined INTEGER NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN quarantine_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE devices ADD COLUMN quarantined_at INTEGER NOT NULL DEFAULT 0;
