#!/usr/bin/env bash
# Throughput between two network namespaces over four paths, side by side:
# a bare veth pair (the ceiling), ctswitchd on afpacket ports, and Open
# vSwitch's userspace datapath (a netdev bridge with the veths as system
# ports), both switches running the same ct firewall flows programmed with
# ovs-ofctl. Each path is measured with the veths' default offloads, with
# them off, and mixed (ns1's side default, ns2's side off); MODES picks.
# Tests: one TCP stream, four TCP streams, and a flood of small
# UDP datagrams (kpps the receiver got, the loss, and how much of it was
# lost at the receiver: its socket buffer full). Runs are interleaved
# (every path and test once per round, RUNS rounds) so that other load on
# the machine spreads over all of them; the table shows the median and
# min-max of each, and the CPU each switch process used during the test
# (utime+stime of all its threads, from /proc/PID/stat, in % of one core).
# Root; needs iperf3, ethtool, ovs-ofctl, and for the OVS rows
# ovsdb-server and ovs-vswitchd (scripts/setup.sh; apt-get install iperf3).
# Everything it creates (namespaces, veths, daemons, a temporary
# directory) is removed on exit. Not part of the test suite.
#
#   [RUNS=5] [SECS=10] [THREADS=2] [PATHS="..."] [TESTS="..."] [MODES="..."] [UDP_LEN=64] \
#   [UDP_RATE=0] scripts/netns-throughput.sh [CTSWITCHD]
#
# CTSWITCHD defaults to target/release/ctswitchd (cargo build --release -p
# ctswitch). THREADS is ctswitchd's --threads, and OVS's
# other_config:n-handler-threads is left at its default. PATHS picks among
# bare ctswitch ovs (default all three), TESTS among tcp1 tcp4 udp (default
# all). UDP_LEN is iperf3's datagram payload (64: iperf3 -u -l 64), UDP_RATE
# its -b, in payload bits (128M: 250k datagrams/s of 64 bytes, about what one
# iperf3 sender manages on a bare veth; 0: as fast as it can, which on a
# small machine overruns the receiving iperf3 even on a bare veth).
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"

ctswitchd=${1:-target/release/ctswitchd}
runs=${RUNS:-5}
secs=${SECS:-10}
threads=${THREADS:-2}
paths=${PATHS:-bare ctswitch ovs}
tests=${TESTS:-tcp1 tcp4 udp}
modes=${MODES:-default off mixed}
udp_len=${UDP_LEN:-64}
udp_rate=${UDP_RATE:-128M}
tag="nt$$"
ofport_cts=$((20000 + $$ % 20000))
ofport_ovs=$((ofport_cts + 1))
dir=$(mktemp -d)
cts_pid=
ovs_started=

for tool in iperf3 ethtool ovs-ofctl; do
    command -v "$tool" >/dev/null || {
        echo "netns-throughput: $tool is missing" >&2
        exit 1
    }
done
if [[ $paths == *ovs* ]] && ! command -v ovs-vswitchd >/dev/null; then
    echo "netns-throughput: ovs-vswitchd is missing (scripts/setup.sh, or PATHS without ovs)" >&2
    exit 1
fi

ovs_env() { env OVS_RUNDIR="$dir/ovs" OVS_LOGDIR="$dir/ovs" OVS_DBDIR="$dir/ovs" OVS_SYSCONFDIR="$dir/ovs" "$@"; }

# Kills the process in pid file $1 and waits up to 5 s for it to go.
stop_pidfile() {
    local pid
    pid=$(cat "$1" 2>/dev/null) || return 0
    [[ -n $pid ]] || return 0
    kill "$pid" 2>/dev/null || return 0
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
}

cleanup() {
    set +e # remove everything, whatever fails
    if [[ -n $cts_pid ]]; then
        kill "$cts_pid" 2>/dev/null
        wait "$cts_pid" 2>/dev/null
    fi
    if [[ -n $ovs_started ]]; then
        stop_pidfile "$dir/ovs/ovs-vswitchd.pid"
        stop_pidfile "$dir/ovs/ovsdb-server.pid"
    fi
    for f in "$dir"/iperf-*.pid; do [[ -e $f ]] && stop_pidfile "$f"; done
    for p in b c o; do
        for i in 1 2; do ip netns del "$tag$p$i" 2>/dev/null; done
        ip link del "${tag}${p}a" 2>/dev/null
        ip link del "${tag}${p}b" 2>/dev/null
    done
    rm -rf "$dir"
}
trap cleanup EXIT

# Namespaces $tag${p}1 (10.23x.0.1) and $tag${p}2 (.2), and the veth ends
# each path toggles offloads on ("ns:dev" or "-:dev" in the root namespace).
declare -A ends subnet=([b]=10.233.0 [c]=10.234.0 [o]=10.235.0)
setup_path() {
    local p=$1 net=${subnet[$1]}
    ip netns add "$tag${p}1"
    ip netns add "$tag${p}2"
    if [[ $p == b ]]; then
        ip -n "$tag${p}1" link add x type veth peer name y netns "$tag${p}2"
        ip -n "$tag${p}1" addr add "$net.1/24" dev x
        ip -n "$tag${p}2" addr add "$net.2/24" dev y
        ip -n "$tag${p}1" link set x up
        ip -n "$tag${p}2" link set y up
        ends[$p]="$tag${p}1:x $tag${p}2:y"
    else
        local i host
        for i in 1 2; do
            host="${tag}${p}$( ((i == 1)) && echo a || echo b)"
            ip link add "$host" type veth peer name v netns "$tag${p}$i"
            echo 1 >"/proc/sys/net/ipv6/conf/$host/disable_ipv6"
            ip link set "$host" up
            ip -n "$tag${p}$i" addr add "$net.$i/24" dev v
            ip -n "$tag${p}$i" link set v up
        done
        ends[$p]="-:${tag}${p}a -:${tag}${p}b $tag${p}1:v $tag${p}2:v"
    fi
    ip -n "$tag${p}1" link set lo up
    ip -n "$tag${p}2" link set lo up
    ip netns exec "$tag${p}2" iperf3 -s -D -I "$dir/iperf-$p.pid" >/dev/null
}

in_ns() { # in_ns NS|- CMD...: runs CMD in namespace NS, or here for "-"
    local ns=$1
    shift
    if [[ $ns == - ]]; then "$@"; else ip netns exec "$ns" "$@"; fi
}

# The offload settings "off" clears, by their ethtool -k names.
offload_features="rx-checksumming tx-checksumming scatter-gather tcp-segmentation-offload generic-segmentation-offload generic-receive-offload"
declare -A saved_offloads
save_offloads() {
    local end f
    for end in ${ends[$1]}; do
        for f in $offload_features; do
            saved_offloads[$end/$f]=$(in_ns "${end%%:*}" ethtool -k "${end#*:}" | awk -v f="$f:" '$1 == f {print $2}')
        done
    done
}
# Whether veth end $2 of path $1 is on ns2's side: its namespace's end, or
# the root namespace's end of the veth that leads there.
on_ns2_side() { [[ $2 == "$tag${1}2:"* || $2 == "-:${tag}${1}b" ]]; }
# set_offloads PATH default|off|mixed
set_offloads() {
    local end f args off
    for end in ${ends[$1]}; do
        off=$([[ $2 == off ]] || { [[ $2 == mixed ]] && on_ns2_side "$1" "$end"; } && echo 1 || echo "")
        args=()
        for f in $offload_features; do
            args+=("$(short_name "$f")" "$([[ -n $off ]] && echo off || echo "${saved_offloads[$end/$f]}")")
        done
        in_ns "${end%%:*}" ethtool -K "${end#*:}" "${args[@]}" >/dev/null 2>&1 || true
    done
}
short_name() {
    case $1 in
    rx-checksumming) echo rx ;; tx-checksumming) echo tx ;; scatter-gather) echo sg ;;
    tcp-segmentation-offload) echo tso ;; generic-segmentation-offload) echo gso ;;
    generic-receive-offload) echo gro ;;
    esac
}

cat >"$dir/flows" <<'EOF'
table=0,priority=10,ip,ct_state=-trk,actions=ct(table=1)
table=0,priority=10,arp,actions=NORMAL
table=1,priority=10,ip,in_port=1,ct_state=+trk+new,actions=ct(commit),output:2
table=1,priority=10,ip,in_port=1,ct_state=+trk+est,actions=output:2
table=1,priority=10,ip,in_port=2,ct_state=+trk+est,actions=output:1
table=1,priority=0,actions=drop
EOF

wait_ofctl() {
    for _ in $(seq 100); do
        ovs-ofctl -O OpenFlow13 dump-flows "tcp:127.0.0.1:$1" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "netns-throughput: no OpenFlow listener on $1" >&2
    return 1
}

start_ctswitchd() {
    "$ctswitchd" --listen "ptcp:$ofport_cts:127.0.0.1" --probe-interval 0 --socket "$dir/ctl" \
        --threads "$threads" --port "1=afpacket:${tag}ca" --port "2=afpacket:${tag}cb" \
        >"$dir/ctswitchd.out" 2>&1 &
    cts_pid=$!
    wait_ofctl "$ofport_cts"
    ovs-ofctl -O OpenFlow13 add-flows "tcp:127.0.0.1:$ofport_cts" "$dir/flows"
}

# OVS in a private run directory: its own ovsdb-server and ovs-vswitchd,
# no kernel datapath (--disable-system), bridge br0 of datapath_type=netdev
# with the two host veth ends as system ports 1 and 2.
start_ovs() {
    mkdir -p "$dir/ovs"
    ovs_env ovsdb-tool create "$dir/ovs/conf.db" /usr/share/openvswitch/vswitch.ovsschema
    ovs_env ovsdb-server --detach --no-chdir --pidfile --log-file -vconsole:off -vsyslog:off \
        --remote="punix:$dir/ovs/db.sock" "$dir/ovs/conf.db" 2>"$dir/ovs/ovsdb-server.stderr"
    ovs_started=1
    ovs_env ovs-vsctl --no-wait init
    ovs_env ovs-vswitchd --disable-system --disable-system-route --detach --no-chdir --pidfile \
        --log-file -vconsole:off -vsyslog:off 2>"$dir/ovs/ovs-vswitchd.stderr"
    ovs_env ovs-vsctl --timeout=20 -- add-br br0 \
        -- set bridge br0 datapath_type=netdev fail-mode=secure protocols=OpenFlow13 \
        other-config:disable-in-band=true \
        -- add-port br0 "${tag}oa" -- set interface "${tag}oa" ofport_request=1 \
        -- add-port br0 "${tag}ob" -- set interface "${tag}ob" ofport_request=2
    ovs_env ovs-vsctl --timeout=20 set-controller br0 "ptcp:$ofport_ovs:127.0.0.1"
    wait_ofctl "$ofport_ovs"
    ovs-ofctl -O OpenFlow13 del-flows "tcp:127.0.0.1:$ofport_ovs"
    ovs-ofctl -O OpenFlow13 add-flows "tcp:127.0.0.1:$ofport_ovs" "$dir/flows"
}

declare -A letter=([bare]=b [ctswitch]=c [ovs]=o)
for path in $paths; do
    [[ -n ${letter[$path]:-} ]] || {
        echo "netns-throughput: unknown path $path" >&2
        exit 2
    }
    setup_path "${letter[$path]}"
    save_offloads "${letter[$path]}"
    case $path in
    ctswitch) start_ctswitchd ;;
    ovs) start_ovs ;;
    esac
done

switch_pid() {
    case $1 in
    c) echo "$cts_pid" ;;
    o) cat "$dir/ovs/ovs-vswitchd.pid" ;;
    *) echo "" ;;
    esac
}
cpu_ticks() { if [[ -n $1 ]]; then awk '{print $14 + $15}' "/proc/$1/stat"; else echo 0; fi; }
hz=$(getconf CLK_TCK)

# "name ticks" for each thread of process $1 (threads of one name summed
# later): ctswitchd's packet threads are ctswitch-pmdN, its ports'
# transmit threads tx-IFNAME.
thread_ticks() {
    [[ -n $1 ]] || return 0
    local task comm
    for task in /proc/"$1"/task/*; do
        # A thread may end between the listing and the read.
        comm=$(tr ' ' _ 2>/dev/null <"$task/comm") || continue
        awk -v c="$comm" '{print c, $14 + $15}' "$task/stat" 2>/dev/null || true
    done
}

# The CPU each thread used between snapshots $1 and $2 (from
# thread_ticks) over $3 seconds, as "name=percent ...": every thread, the
# idle ones too, so that a packet thread busy in some runs only gets the
# median it earned.
thread_cpu() {
    awk -v hz="$hz" -v s="$3" 'FNR == NR {t0[$1] += $2; next} {t1[$1] += $2}
        END {for (n in t1) printf "%s=%.0f ", n, 100 * (t1[n] - t0[n]) / hz / s}' \
        <(echo "$1") <(echo "$2")
}

# Datagrams the receiving namespace of path $1 dropped because the
# socket they were for had a full buffer (UdpRcvbufErrors): the receiving
# iperf3 did not read them in time. The rest of a test's loss happened
# before, in the switch or the veths.
udp_rcvbuf_errors() {
    ip netns exec "$tag${1}2" cat /proc/net/snmp |
        awk '$1 == "Udp:" {if (!n) {for (i = 2; i <= NF; i++) if ($i == "RcvbufErrors") c = i; n = 1} else print $c}'
}

# One test on path letter $1: prints Gbit/s for TCP, "rx_kpps loss_%
# sent_kpps rcvbuf_%" for UDP (rcvbuf_%: the datagrams lost at the
# receiver's socket, in % of those sent); 0 when nothing got through.
run_test() {
    local p=$1 test=$2 net=${subnet[$1]} out=$dir/iperf.json args
    case $test in
    tcp1) args=(-P 1) ;;
    tcp4) args=(-P 4) ;;
    udp) args=(-u -l "$udp_len" -b "$udp_rate") ;;
    esac
    local rcvbuf0
    [[ $test != udp ]] || rcvbuf0=$(udp_rcvbuf_errors "$p")
    # A path that passes nothing (OVS with offloads on) must not hang.
    if ! timeout $((secs + 15)) ip netns exec "$tag${p}1" iperf3 -c "$net.2" -t "$secs" \
        --connect-timeout 3000 -J "${args[@]}" >"$out" 2>/dev/null; then
        [[ $test == udp ]] && echo "0 100 0 0" || echo 0
        return
    fi
    if [[ $test == udp ]]; then
        jq -r --argjson t "$secs" --argjson rcvbuf $(($(udp_rcvbuf_errors "$p") - rcvbuf0)) \
            '.end.sum | "\((.packets - .lost_packets) / $t / 1000) \(.lost_percent) \(.packets / $t / 1000) \(100 * $rcvbuf / ([.packets, 1] | max))"' \
            "$out" 2>/dev/null || echo "0 100 0 0"
    else
        jq -r '.end.sum_received.bits_per_second / 1e9' "$out" 2>/dev/null || echo 0
    fi
}

declare -A results cpus threads_cpu
for _ in $(seq "$runs"); do
    for path in $paths; do
        p=${letter[$path]}
        for mode in $modes; do
            set_offloads "$p" "$mode"
            sleep 0.5
            pid=$(switch_pid "$p")
            for test in $tests; do
                t0=$(cpu_ticks "$pid")
                threads0=$(thread_ticks "$pid")
                start=$(date +%s.%N)
                r=$(run_test "$p" "$test")
                elapsed=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN {print b - a}')
                results[$path/$mode/$test]+="$r;"
                cpus[$path/$mode/$test]+="$(awk -v t=$(($(cpu_ticks "$pid") - t0)) -v hz="$hz" -v s="$elapsed" \
                    'BEGIN {printf "%.0f", 100 * t / hz / s}');"
                threads_cpu[$path/$mode/$test]+="$(thread_cpu "$threads0" "$(thread_ticks "$pid")" "$elapsed");"
            done
        done
    done
done

# "median (min-max)" of the field $1 of the ";"-separated records $2.
summary() {
    tr ';' '\n' <<<"$2" | awk -v f="$1" 'NF {print $f}' | sort -g |
        awk '{v[NR] = $1} END {if (NR == 0) print "-"; else printf "%.3g (%.3g-%.3g)", v[int((NR + 1) / 2)], v[1], v[NR]}'
}
# The switch's threads that used at least 3% of a core (median over the
# runs of record set $1), busiest first: "name median (min-max), ...".
thread_summary() {
    tr ';' '\n' <<<"$1" | tr ' ' '\n' | awk -F= 'NF == 2 {print $1, $2}' | sort -k1,1 -k2,2g |
        awk '{v[$1] = v[$1] " " $2; n[$1]++}
            END {for (t in v) {split(substr(v[t], 2), a, " "); m = a[int((n[t] + 1) / 2)]
                if (m >= 3) printf "%s %s %s (%s-%s)\n", m, t, m, a[1], a[n[t]]}}' |
        sort -rg | cut -d' ' -f2- | paste -sd, | sed 's/,/, /g'
}
echo "$runs interleaved runs of ${secs}s; ctswitchd --threads $threads; UDP: iperf3 -u -l $udp_len -b $udp_rate"
echo "cells: median (min-max); CPU: the switch process, % of one core, during that test;"
echo "threads: the switch's threads that used at least 3% of a core (median), busiest first"
printf '%-18s %-6s %-24s %-24s %-14s\n' path test result unit "switch CPU %"
for path in $paths; do
    for mode in $modes; do
        for test in $tests; do
            key=$path/$mode/$test
            cpu=-
            [[ $path != bare ]] && cpu=$(summary 1 "${cpus[$key]}")
            if [[ $test == udp ]]; then
                printf '%-18s %-6s %-24s %-24s %-14s\n' "$path $mode" "$test" "$(summary 1 "${results[$key]}")" \
                    "kpps received" "$cpu"
                printf '%-18s %-6s %-24s %-24s\n' "" "" "$(summary 2 "${results[$key]}")" "% lost"
                printf '%-18s %-6s %-24s %-24s\n' "" "" "$(summary 3 "${results[$key]}")" "kpps sent"
                printf '%-18s %-6s %-24s %-24s\n' "" "" "$(summary 4 "${results[$key]}")" "% lost at the receiver"
            else
                printf '%-18s %-6s %-24s %-24s %-14s\n' "$path $mode" "$test" "$(summary 1 "${results[$key]}")" \
                    Gbit/s "$cpu"
            fi
            threads_line=$(thread_summary "${threads_cpu[$key]}")
            [[ $path == bare || -z $threads_line ]] || printf '%-18s %-6s threads: %s\n' "" "" "$threads_line"
        done
    done
done
