#!/usr/bin/env bash
# The real Asterisk 22 the tests run against: where it is, and the
# configuration of one test instance. Used by scripts/test.sh, the Rust
# harness (tests/common/asterisk.rs) and the real-PBX Playwright server.
#
#   asterisk.sh locate           prints the asterisk binary, building it once
#                                from the sources if needed; exits 3 (with one
#                                line saying what to provide) when there is none
#   asterisk.sh prepare STATE    writes STATE/etc (tests/asterisk/etc and the
#                                sample PBX's users and trunks) and
#                                STATE/asterisk.conf; ports from the env:
#                                AST_AMI_PORT AST_SIP_PORT AST_RTP_START AST_RTP_END
#   asterisk.sh run STATE        prepare, then Asterisk in the foreground
#
# Where Asterisk comes from, first match wins:
#   ISPBX_TEST_ASTERISK=/path/to/sbin/asterisk   an installed Asterisk 22
#   ISPBX_ASTERISK_SOURCES=dir                   sources with build.sh (default ../shared/asterisk)
# A build goes to ${XDG_CACHE_HOME:-~/.cache}/ispbx/asterisk-22.10.1, outside
# the clone, so that it is done once per machine.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VERSION=22.10.1
CACHE_PREFIX="${XDG_CACHE_HOME:-$HOME/.cache}/ispbx/asterisk-$VERSION"
SOURCES="${ISPBX_ASTERISK_SOURCES:-$ROOT/../shared/asterisk}"

is_asterisk_22() { [[ -x $1 ]] && "$1" -V 2>/dev/null | grep -q '^Asterisk 22\.'; }

locate() {
  if [[ -n ${ISPBX_TEST_ASTERISK:-} ]]; then
    is_asterisk_22 "$ISPBX_TEST_ASTERISK" || { echo "ISPBX_TEST_ASTERISK=$ISPBX_TEST_ASTERISK is not an Asterisk 22 binary" >&2; exit 2; }
    echo "$ISPBX_TEST_ASTERISK"; return
  fi
  if [[ -x $SOURCES/build.sh ]]; then
    "$SOURCES/build.sh" "$CACHE_PREFIX" >&2
    echo "$CACHE_PREFIX/sbin/asterisk"; return
  fi
  echo "no Asterisk 22: provide its sources with build.sh in ../shared/asterisk (or ISPBX_ASTERISK_SOURCES=dir), or an installed one as ISPBX_TEST_ASTERISK=/path/to/sbin/asterisk" >&2
  exit 3
}

prepare() {
  local state=${1:?usage: asterisk.sh prepare STATE_DIR}
  local bin=${ISPBX_TEST_ASTERISK:?ISPBX_TEST_ASTERISK names the asterisk binary}
  local prefix; prefix=$(cd "$(dirname "$bin")/.." && pwd)
  local moddir=${ISPBX_TEST_ASTERISK_MODULES:-$prefix/lib/asterisk/modules}
  [[ -d $moddir ]] || { echo "no Asterisk modules in $moddir; set ISPBX_TEST_ASTERISK_MODULES" >&2; exit 2; }
  # Read-only data (the XML documentation the manager needs), where the install put it.
  local datadir=$prefix/var/lib/asterisk
  [[ -d $datadir ]] || datadir=/usr/share/asterisk
  : "${AST_AMI_PORT:?}" "${AST_SIP_PORT:?}" "${AST_RTP_START:?}" "${AST_RTP_END:?}"
  mkdir -p "$state"/{etc,lib,spool,run,log,cache}
  state=$(cd "$state" && pwd)
  cp "$ROOT/examples/sample-pbx/pjsip_users.conf" "$ROOT/examples/sample-pbx/pjsip_trunks.conf" "$state/etc/"
  for f in "$ROOT"/tests/asterisk/etc/*.conf; do
    sed -e "s/@AMI_PORT@/$AST_AMI_PORT/g" -e "s/@SIP_PORT@/$AST_SIP_PORT/g" \
        -e "s/@RTP_START@/$AST_RTP_START/g" -e "s/@RTP_END@/$AST_RTP_END/g" "$f" >"$state/etc/$(basename "$f")"
  done
  cat >"$state/asterisk.conf" <<CONF
[directories]
astetcdir => $state/etc
astmoddir => $moddir
astvarlibdir => $state/lib
astdbdir => $state/lib
astkeydir => $state/lib
astdatadir => $datadir
astagidir => $state/lib/agi-bin
astspooldir => $state/spool
astrundir => $state/run
astlogdir => $state/log
astsbindir => $(dirname "$bin")
astcachedir => $state/cache
[options]
verbose = 3
maxfiles = 4096
CONF
}

case "${1:-}" in
  locate) locate ;;
  prepare) prepare "${2:-}" ;;
  run)
    prepare "${2:-}"
    exec "$ISPBX_TEST_ASTERISK" -f -C "$(cd "$2" && pwd)/asterisk.conf"
    ;;
  *) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
