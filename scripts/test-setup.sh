#!/usr/bin/env bash
# What the tests need besides cargo, installed when missing (`make test` and .ci/run run this):
#   redis-server  the Redis quota store's tests start real servers, plain and TLS (tests/quota_redis.rs)
#   openssl       those tests make their CA and certificates
#   script        enrich's progress bar is tested under a pseudo-terminal (util-linux; Debian: bsdutils)
#   kill          stop signals are sent to enrich runs (Debian: procps)
#   stix2-validator  the OASIS STIX 2.1 validator checks every --output stix bundle (PyPI, with
#                 the Python 3 found as $PYTHON, else python3; crates/cli/tests/stix.rs)
# Installs with apt-get as root (or with sudo when it needs no password); anywhere else it stops
# at once with one line saying what to install. Never a silent skip of the tests that need them.
set -euo pipefail

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v script >/dev/null 2>&1 || missing+=(bsdutils)
type -P kill >/dev/null 2>&1 || missing+=(procps)  # the program, not the shell builtin
# Python packages: pip installs them into the Python the tests run (a venv's when one is active).
python="${PYTHON:-python3}"
if ! "$python" -c 'import stix2validator' >/dev/null 2>&1; then
  if "$python" -m pip --version >/dev/null 2>&1; then
    echo "make test: installing stix2-validator (pip)" >&2
    "$python" -m pip install --quiet stix2-validator
  else
    echo "make test: the tests need the Python package stix2-validator; install it ($python -m pip install stix2-validator) and run make test again" >&2
    exit 1
  fi
fi

[ ${#missing[@]} -eq 0 ] && exit 0

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
  else
    as_root=(none)
  fi
fi
if [ "${as_root[0]:-}" = none ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "make test: the tests need ${missing[*]} (Debian packages); install them (apt-get install ${missing[*]}) and run make test again" >&2
  exit 1
fi
echo "make test: installing ${missing[*]}" >&2
"${as_root[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
