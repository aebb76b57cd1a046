-- SPDX-License-Identifier: Apache-2.0
-- 4: ingest (docs/rampartd.md "Ingest"): per-device status and last
-- telemetry, bounded telemetry/event/result history, commands sent,
-- ingest counters.
CREATE TABLE device_status (
  serial TEXT PRIMARY KEY,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  telemetry_at INTEGER NOT NULL DEFAULT 0,
  seq INTEGER NOT NULL DEFAULT 0,
  ts INTEGER NOT NULL DEFAULT 0,
  uptime_s INTEGER NOT NULL DEFAULT 0,
  cpu_permille INTEGER NOT NULL DEFAULT 0,
  mem_total_kb INTEGER NOT NULL DEFAULT 0,
  mem_avail_kb INTEGER NOT NULL DEFAULT 0,
  tcp TEXT NOT NULL DEFAULT '',
  udp TEXT NOT NULL DEFAULT '',
  fw_version TEXT NOT NULL DEFAULT '',
  fw_sha256 TEXT NOT NULL DEFAULT '',
  msgs_sent INTEGER NOT NULL DEFAULT 0,
  dropped INTEGER NOT NULL DEFAULT 0,
  interval_s INTEGER NOT NULL DEFAULT 0,
  log_seq INTEGER NOT NULL DEFAULT 0,
  log_head TEXT NOT NULL DEFAULT '',
  n_telemetry INTEGER NOT NULL DEFAULT 0,
  n_events INTEGER NOT NULL DEFAULT 0,
  n_results INTEGER NOT NULL DEFAULT 0,
  n_rejected INTEGER NOT NULL DEFAULT 0);
CREATE TABLE telemetry (
  id INTEGER PRIMARY KEY,
  serial TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  uptime_s INTEGER NOT NULL,
  cpu_permille INTEGER NOT NULL,
  mem_total_kb INTEGER NOT NULL,
  mem_avail_kb INTEGER NOT NULL,
  n_tcp INTEGER NOT NULL,
  n_udp INTEGER NOT NULL,
  fw_version TEXT NOT NULL,
  msgs_sent INTEGER NOT NULL,
  dropped INTEGER NOT NULL);
CREATE INDEX telemetry_serial ON telemetry (serial, id);
CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  serial TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  type TEXT NOT NULL,
  severity TEXT NOT NULL,
  count INTEGER NOT NULL,
  detail TEXT NOT NULL);
CREATE INDEX events_serial ON events (serial, id);
CREATE TABLE command_results (
  id INTEGER PRIMARY KEY,
  serial TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  cmd_id TEXT NOT NULL,
  status TEXT NOT NULL,
  seq INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  detail TEXT NOT NULL);
CREATE INDEX command_results_serial ON command_results (serial, id);
CREATE TABLE commands (
  id TEXT PRIMARY KEY,
  serial TEXT NOT NULL,
  type TEXT NOT NULL,
  arg TEXT NOT NULL,
  issued_at INTEGER NOT NULL,
  result_at INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL DEFAULT '',
  result_seq INTEGER NOT NULL DEFAULT 0,
  result_ts INTEGER NOT NULL DEFAULT 0,
  detail TEXT NOT NULL DEFAULT '');
CREATE INDEX commands_serial ON commands (serial, issued_at);
CREATE TABLE ingest_counters (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL);
