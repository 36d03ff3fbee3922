#!/usr/bin/env bash
# Installs what building and testing ctswitch needs on a Debian 12 machine,
# as root. Idempotent and quiet: a second run does nothing but check.
set -euo pipefail

need_apt=()
command -v ovs-ofctl >/dev/null 2>&1 || need_apt+=(openvswitch-common)
command -v ip >/dev/null 2>&1 || need_apt+=(iproute2)
command -v ping >/dev/null 2>&1 || need_apt+=(iputils-ping)
command -v ethtool >/dev/null 2>&1 || need_apt+=(ethtool)
# The FTP server of tests/tests/netns_ftp.rs, for the system Python the
# namespaces run.
/usr/bin/python3 -c 'import pyftpdlib' >/dev/null 2>&1 || need_apt+=(python3-pyftpdlib)
if ((${#need_apt[@]})); then
    echo "setup: installing ${need_apt[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive DEBCONF_NOWARNINGS=yes
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1; then
    echo "setup: cargo is missing; install the Rust toolchain (rustup) first" >&2
    exit 1
fi
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt >/dev/null 2>&1 || true
