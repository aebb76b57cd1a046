#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The sealed-key test vector three ways must agree: the independent Python
# recipe (tests/vectors/keystore_sealed.py), docs/keystore.md, and the
# unit test (tests/unit/test_keystore_file.c, which also checks librampart).
set -eu
src=${RP_SRC_DIR:?}
want=$(python3 "$src/tests/vectors/keystore_sealed.py")
doc=$(sed -n '/^### Test vector/,/^## /p' "$src/docs/keystore.md" |
	sed -n '/^```$/,/^```$/p' | grep -v '^```' | tr -d '\n')
unit=$(sed -n '/vector_hex\[\] =/,/;/p' "$src/tests/unit/test_keystore_file.c" |
	grep -o '"[0-9a-f]*"' | tr -d '"\n')
[ "$want" = "$doc" ] || { echo "docs/keystore.md differs: $doc"; exit 1; }
[ "$want" = "$unit" ] || { echo "unit test differs: $unit"; exit 1; }
echo "keystore sealed vector: recipe, docs and unit test agree"
