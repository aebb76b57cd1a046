#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""docs/telemetry.md against the code: its four test vectors must be the
strings tests/unit/test_telemetry.c checks librampart with, and its JSON
Schemas (draft 2020-12) must be valid schemas that accept every vector and
refuse near-misses (unknown, missing or duplicate-free-but-wrong members,
other version, out of range, non-printable). Needs python3-jsonschema for
the schema half; without it that half is skipped (exit 77)."""
import json
import os
import re
import sys

src = os.environ.get("RP_SRC_DIR") or sys.exit("RP_SRC_DIR not set")
doc = open(os.path.join(src, "docs/telemetry.md"), encoding="utf-8").read()
unit = open(os.path.join(src, "tests/unit/test_telemetry.c"),
            encoding="utf-8").read()


def blocks(section):
    """The ```json blocks of one '## ' section, in order."""
    m = re.search(r"^## " + re.escape(section) + r"\n(.*?)(?=^## |\Z)", doc,
                  re.S | re.M)
    if not m:
        sys.exit("docs/telemetry.md: no section " + section)
    return re.findall(r"^```json\n(.*?)^```$", m.group(1), re.S | re.M)


def c_string(name):
    """A C string initialiser of the unit test: literals and macros."""
    macros = dict(re.findall(r'^#define (\w+)\s+(?:\\\n\s*)?"([^"]*)"', unit,
                             re.M))
    m = re.search(r"static const char " + name + r"\[\] =(.*?);", unit, re.S)
    if not m:
        sys.exit("tests/unit/test_telemetry.c: no " + name)
    out = ""
    for lit, macro in re.findall(r'"((?:[^"\\]|\\.)*)"|(\b[A-Z_0-9]+\b)',
                                 m.group(1)):
        if macro:
            out += macros[macro]
        else:
            out += lit.encode().decode("unicode_escape")
    return out


fail = 0
vectors = [b.strip() for b in blocks("Test vectors")]
names = ["tel_vec", "ev_vec", "cmd_vec", "res_vec", "upd_cmd_vec",
         "upd_ev_vec"]
if len(vectors) != len(names):
    sys.exit("docs/telemetry.md: %d test vectors, want %d" %
             (len(vectors), len(names)))
for name, vec in zip(names, vectors):
    if c_string(name) != vec:
        print("differs from %s in the unit test:\n  doc:  %s\n  unit: %s" %
              (name, vec, c_string(name)))
        fail = 1
print("test vectors: docs and unit test %s" % ("differ" if fail else "agree"))

try:
    import jsonschema
except ImportError:
    print("python3-jsonschema missing: schema checks skipped")
    sys.exit(1 if fail else 77)

schemas = [json.loads(b) for b in blocks("JSON Schemas")]
if len(schemas) != 4:
    sys.exit("docs/telemetry.md: %d schemas, want 4" % len(schemas))


def edit(obj, **kw):
    o = dict(obj)
    for k, v in kw.items():
        if v is None:
            o.pop(k, None)
        else:
            o[k] = v
    return o


# The update command and event are checked by the command's and the
# event's schema.
for schema, vec in zip(schemas + [schemas[2], schemas[1]], vectors):
    jsonschema.Draft202012Validator.check_schema(schema)
    val = jsonschema.Draft202012Validator(schema)
    msg = json.loads(vec)
    if not val.is_valid(msg):
        print("vector refused by %s: %s" % (schema["$id"],
                                            next(val.iter_errors(msg))))
        fail = 1
    bad = [edit(msg, v=2), edit(msg, x=1), edit(msg, ts=-1),
           edit(msg, ts="1"), edit(msg, v=None)]
    for key in ("detail", "arg", "fw_version"):
        if key in msg:
            bad += [edit(msg, **{key: "tab\there"}),
                    edit(msg, **{key: "\u00e9"}),
                    edit(msg, **{key: "x" * 300})]
    if "tcp" in msg:
        bad += [edit(msg, tcp=[0]), edit(msg, udp=[22, 22]),
                edit(msg, cpu_permille=1001), edit(msg, interval_s=0),
                edit(msg, log_head=""), edit(msg, log_seq=0),
                edit(msg, fw_sha256="E3" * 32), edit(msg, seq=2**63)]
    if "severity" in msg:
        bad += [edit(msg, severity="Warning"), edit(msg, count=0),
                edit(msg, type="reboot")]
    if "arg" in msg:
        bad += [edit(msg, id=""), edit(msg, id="a/b"),
                edit(msg, type="pong")]
    u = msg.get("update")
    if u is not None:
        bad += [edit(msg, update=None), edit(msg, type="ping"),
                edit(msg, update=edit(u, x=1)),
                edit(msg, update=edit(u, release="5F" * 32))]
        if "hw" in u:
            d = u["delta"]
            bad += [edit(msg, update=edit(u, hw="")),
                    edit(msg, update=edit(u, version="1.04.3")),
                    edit(msg, update=edit(u, version="1.4")),
                    edit(msg, update=edit(u, counter=2**32)),
                    edit(msg, update=edit(u, size=0)),
                    edit(msg, update=edit(u, url="http://x/y")),
                    edit(msg, update=edit(u, delta=edit(d, base=None))),
                    edit(msg, update=edit(u, delta=edit(d, size=0)))]
        else:
            bad += [edit(msg, update=edit(u, state="sent")),
                    edit(msg, update=edit(u, code="Bad")),
                    edit(msg, update=edit(u, cmd="")),
                    edit(msg, update=edit(u, offset=-1))]
    elif "arg" in msg:
        bad += [edit(msg, type="cancel", arg="5f")]
    if "status" in msg:
        bad += [edit(msg, status="success"), edit(msg, id="a b")]
    for b in bad:
        if val.is_valid(b):
            print("%s accepts %s" % (schema["$id"], json.dumps(b)))
            fail = 1
    print("%s: vector valid, %d near-misses refused" %
          (schema["$id"], len(bad)))
sys.exit(fail)
