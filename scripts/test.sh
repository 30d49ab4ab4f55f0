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

# npm: the Nu HTML Checker, axe-core and Ace by DAISY (the EPUB accessibility checker), pinned, into
# tests/.tools (git-ignored). Ace drives the Debian chromium above through Puppeteer: no browser is
# downloaded, at install or at run time (the tests set PUPPETEER_EXECUTABLE_PATH), and no install
# script runs.
if [ ! -f tests/.tools/node_modules/vnu-jar/build/dist/vnu.jar ] || [ ! -f tests/.tools/node_modules/axe-core/axe.min.js ] \
   || [ ! -f tests/.tools/node_modules/@daisy/ace-cli/bin/ace.js ] \
   || [ ! -d tests/.tools/node_modules/@daisy/ace-axe-runner-puppeteer ]; then
  ELECTRON_SKIP_BINARY_DOWNLOAD=1 PUPPETEER_SKIP_DOWNLOAD=1 \
    npm install --prefix tests/.tools --no-audit --no-fund --silent --ignore-scripts \
    vnu-jar@26.9.27 axe-core@4.14.1 @daisy/ace-cli@1.4.6 @daisy/ace-axe-runner-puppeteer@1.4.6
fi

python3 -m pytest -q --durations=25 "$@"
