-- SPDX-License-Identifier: Apache-2.0
-- 2: claim use accounting.
ALTER TABLE certs ADD COLUMN uses INTEGER NOT NULL DEFAULT 0;
ALTER TABLE certs ADD COLUMN last_used_at INTEGER NOT NULL DEFAULT 0;
