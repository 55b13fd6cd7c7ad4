#!/usr/bin/env bash
# Set up .venv for dprk-stance: CPU PyTorch first, then the project and its dev extras.
#
# torch is installed first and pinned, because an unpinned `torch` pulls a multi-GB CUDA
# build. Where the default index has no CPU wheel, point TORCH_INDEX at one:
#   TORCH_INDEX=https://download.pytorch.org/whl/cpu bash scripts/setup.sh
# Extras: dev (tests, lint), ray (`label --engine ray`, and its test) and explain (captum:
# Integrated Gradients for the transformer); EXTRAS=dev skips both.
# Idempotent: a second run only checks what is installed.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
TORCH_VERSION="${TORCH_VERSION:-2.13.0}"
EXTRAS="${EXTRAS:-dev,ray,explain}"

if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
# pip, with its output shown only on failure (this machine's pip config warns per package)
pip() {
  local log
  log=$(mktemp)
  if ! .venv/bin/python -m pip --disable-pip-version-check -q "$@" >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    return 1
  fi
  grep -v "is ignored" "$log" || true
  rm -f "$log"
}

pip install --upgrade pip
if ! .venv/bin/python -c "import torch, sys; sys.exit(torch.__version__.split('+')[0] != '$TORCH_VERSION')" 2>/dev/null; then
  if [ -n "${TORCH_INDEX:-}" ]; then
    pip install "torch==$TORCH_VERSION" --index-url "$TORCH_INDEX"
  else
    pip install "torch==$TORCH_VERSION"
  fi
fi
pip install -e ".[$EXTRAS]" -c requirements/constraints.txt

# Headless Chromium and its driver from the system package manager, for the test that opens
# the HTML report in a real browser (it skips where they are missing). Only as root with
# apt-get; SKIP_BROWSER=1 skips it.
if [ "${SKIP_BROWSER:-0}" != 1 ] && ! command -v chromedriver >/dev/null 2>&1 \
   && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  if ! (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq chromium chromium-driver) >/dev/null 2>&1; then
    echo "setup: headless Chromium could not be installed; the browser test will skip" >&2
  fi
fi
.venv/bin/python -c "import dprk_stance, torch, transformers; print('dprk-stance', dprk_stance.__version__, '| torch', torch.__version__, '| transformers', transformers.__version__)"
