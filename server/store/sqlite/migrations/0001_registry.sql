-- SPDX-License-Identifier: Apache-2.0
-- 1: the registry (allowlist and device state), certificates issued,
-- refusals, CRLs published, small facts.
CREATE TABLE devices (
  serial TEXT PRIMARY KEY,
  hw_type TEXT NOT NULL,
  hw_token TEXT NOT NULL DEFAULT '',
  grp TEXT NOT NULL,
  tags TEXT NOT NULL DEFAULT '',
  state INTEGER NOT NULL DEFAULT 0 CHECK (state IN (0, 1, 2)),
  allow_reprovision INTEGER NOT NULL DEFAULT 0,
  force_renew INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL);
CREATE TABLE certs (
  serial TEXT PRIMARY KEY,
  subject TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('device', 'claim')),
  not_before INTEGER NOT NULL,
  not_after INTEGER NOT NULL,
  revoked_at INTEGER NOT NULL DEFAULT 0,
  reason INTEGER NOT NULL DEFAULT 0,
  pem TEXT NOT NULL);
CREATE INDEX certs_subject ON certs (subject, not_after);
CREATE TABLE refusals (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  route TEXT NOT NULL,
  peer TEXT NOT NULL,
  subject TEXT NOT NULL,
  reason TEXT NOT NULL,
  code INTEGER NOT NULL,
  detail TEXT NOT NULL);
CREATE TABLE crls (
  number INTEGER PRIMARY KEY,
  this_update INTEGER NOT NULL,
  next_update INTEGER NOT NULL,
  der BLOB NOT NULL);
CREATE TABLE meta (key TEXT PRIMARY KEY, val BLOB NOT NULL);
