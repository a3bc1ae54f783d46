#!/usr/bin/env bash
# Builds the resident PocketSphinx decoder used by the pocketsphinx engine.
# Needs Debian's libpocketsphinx-dev + libsphinxbase-dev (installed by scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p dist/native
cc -O2 -Wall -Wextra -o dist/native/earshot-ps-server src/engines/pocketsphinx/ps-server.c \
  $(pkg-config --cflags --libs pocketsphinx sphinxbase)
