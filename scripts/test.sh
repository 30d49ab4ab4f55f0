#!/usr/bin/env bash
# Install everything the test suite needs on a fresh machine, then run the whole suite.
# Idempotent: what is already installed is not installed again. Used verbatim by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: Chromium (HTML tests), poppler (pdfinfo, pdftotext, pdffonts, pdftoppm), qpdf (--check),
# Java (EPUBCheck, the Nu HTML Checker), Calibre's ebook-meta (EPUB metadata as readers see it).
need=()
command -v chromium >/dev/null || need+=(chromium)
command -v pdfinfo >/dev/null || need+=(poppler-utils)
command -v qpdf >/dev/null || need+=(qpdf)
command -v java >/dev/null || need+=(default-jre-headless)
command -v ebook-meta >/dev/null || need+=(calibre)
command -v npm >/dev/null || need+=(npm)
fc-list 2>/dev/null | grep -qi dejavu || need+=(fonts-dejavu-core)
if [ ${#need[@]} -gt 0 ]; then
  echo "Installing Debian packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# Python: the project itself (editable) with its test extras.
python3 -m pip install -q --disable-pip-version-check -e '.[test]'

# npm: the Nu HTML Checker and axe-core, pinned, into tests/.tools (git-ignored).
if [ ! -f tests/.tools/node_modules/vnu-jar/build/dist/vnu.jar ] || [ ! -f tests/.tools/node_modules/axe-core/axe.min.js ]; then
  npm install --prefix tests/.tools --no-audit --no-fund --silent vnu-jar@26.9.27 axe-core@4.14.1
fi

python3 -m pytest -q "$@"
