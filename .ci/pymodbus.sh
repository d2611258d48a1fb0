# Sourced by .ci/run. pymodbus is the Modbus server packages/adapters-modbus is tested against (a
# counterpart nobody here wrote). Its fixture (test/fixtures/modbus_server.py) needs pymodbus
# 3.15.x: SimDevice servers and the async datastore calls of 3.13+, checked with 3.15.0; pymodbus
# changes its API in minor releases (3.16 and the 4.0 in development are not checked). Under CI a
# missing or other pymodbus fails those tests, so it is installed here first; the python that has
# it is handed to the tests as IOTGW_PYTHON.
PYMODBUS_SPEC='pymodbus~=3.15.0'

pymodbus_fits() {
  "$1" - 2>/dev/null <<'PY'
import sys, pymodbus, serial
sys.exit(0 if tuple(int(x) for x in pymodbus.__version__.split(".")[:2]) == (3, 15) else 1)
PY
}

# Only on the fallback paths; the package lists may be empty on a fresh image.
apt_install() {
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq >/dev/null 2>&1
  $sudo apt-get install -y -qq "$@" >/dev/null 2>&1
}

ensure_pymodbus() {
  local py="${IOTGW_PYTHON:-python3}" venv="${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/iotgw/pymodbus-venv"
  command -v "$py" >/dev/null || apt_install python3
  pymodbus_fits "$py" && { export IOTGW_PYTHON="$py"; return 0; }
  [ -x "$venv/bin/python" ] && pymodbus_fits "$venv/bin/python" && { export IOTGW_PYTHON="$venv/bin/python"; return 0; }
  echo "installing ${PYMODBUS_SPEC} for the Modbus tests"
  # 1. pip into that python (pyenv, an image without PEP 668's "externally managed" marker).
  if "$py" -m pip install -q "$PYMODBUS_SPEC" 'pyserial>=3.5' >/dev/null 2>&1 && pymodbus_fits "$py"; then
    export IOTGW_PYTHON="$py"; return 0
  fi
  # 2. A venv of our own (Debian's python3 refuses a system-wide pip install).
  if python3 -m venv "$venv" >/dev/null 2>&1 || { apt_install python3-venv && python3 -m venv "$venv" >/dev/null 2>&1; }; then
    if "$venv/bin/python" -m pip install -q "$PYMODBUS_SPEC" 'pyserial>=3.5' >/dev/null 2>&1 && pymodbus_fits "$venv/bin/python"; then
      export IOTGW_PYTHON="$venv/bin/python"; return 0
    fi
  fi
  # 3. No PyPI: the distribution's package, if it is recent enough (Debian 12 has 3.0: it is not).
  if apt_install python3-pymodbus python3-serial && pymodbus_fits /usr/bin/python3; then
    export IOTGW_PYTHON=/usr/bin/python3; return 0
  fi
  local debian
  debian=$(dpkg-query -W -f='${Version}' python3-pymodbus 2>/dev/null || echo 'not installed')
  echo "pymodbus 3.15.x could not be installed (pip could not, PyPI unreachable?; python3-pymodbus: ${debian}): the adapters-modbus tests will fail under CI" >&2
  return 1
}
