#!/bin/sh
# A stand-in for `ctswitch` built from ovs-ofctl itself, to check the corpus
# harness: with it, every comparison must match.
#   CTSWITCH_BIN=tests/corpus/ctswitch-via-ovs-ofctl.sh \
#     cargo test -p ctswitch-tests --test ofctl_corpus -- --include-ignored
# Supports `parse-flow [--hex] FLOW` and `ofp-print HEX`.
OFCTL=${OVS_OFCTL:-ovs-ofctl}
case "$1" in
ofp-print)
    exec "$OFCTL" ofp-print "$2" ;;
parse-flow)
    if [ "$2" = "--hex" ]; then
        "$OFCTL" -O OpenFlow13 -mmmmm parse-flow "$3" 2>/dev/null |
            grep -E '^[0-9a-f]{8}  ' | cut -c11-58 | tr -d -- '- \n' |
            sed -E 's/^(.{8}).{8}/\100000000/'
        echo
        exit 0
    fi
    err=$(mktemp)
    "$OFCTL" -O OpenFlow13 parse-flow "$2" 2>"$err"
    rc=$?
    if [ $rc -ne 0 ]; then
        tail -n 1 "$err" | sed 's/^ovs-ofctl: /ctswitch: /' >&2
    fi
    rm -f "$err"
    exit $rc ;;
*)
    echo "ctswitch: unsupported verb $1" >&2
    exit 1 ;;
esac
