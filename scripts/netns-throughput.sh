#!/usr/bin/env bash
# One TCP stream, and a flood of 64-byte UDP frames, between two network
# namespaces, through ctswitchd's ct firewall on afpacket ports and over a
# bare veth pair as the ceiling, interleaved, RUNS runs of SECS seconds
# each; prints median, min and max per path and the CPU ctswitchd used. Root; veths keep their
# default offloads. Not part of the test suite.
#
#   [THREADS=N] scripts/netns-throughput.sh [CTSWITCHD] [RUNS] [SECS]
#
# THREADS is ctswitchd's --threads (default 1).
#
# CTSWITCHD defaults to target/release/ctswitchd (cargo build --release -p
# ctswitch). Uses python3 sockets (no iperf3 needed) and ovs-ofctl.
set -euo pipefail

ctswitchd=${1:-target/release/ctswitchd}
runs=${2:-5}
secs=${3:-5}
tag="ctsb$$"
ofport=$((20000 + $$ % 20000))
dir=$(mktemp -d)
daemon_pid=

cleanup() {
    set +e # remove everything, whatever fails
    if [[ -n $daemon_pid ]]; then
        kill "$daemon_pid" 2>/dev/null
        wait "$daemon_pid" 2>/dev/null
    fi
    for ns in "${tag}s1" "${tag}s2" "${tag}b1" "${tag}b2"; do ip netns del "$ns" 2>/dev/null || true; done
    ip link del "${tag}a" 2>/dev/null || true
    ip link del "${tag}b" 2>/dev/null || true
    rm -rf "$dir"
}
trap cleanup EXIT

# Switched: ns s1 -- host a [ctswitchd] host b -- ns s2.
for i in 1 2; do
    ns="${tag}s$i"
    host="${tag}$( ((i == 1)) && echo a || echo b)"
    ip netns add "$ns"
    ip link add "$host" type veth peer name "${host}i" netns "$ns"
    echo 1 >"/proc/sys/net/ipv6/conf/$host/disable_ipv6"
    ip link set "$host" up
    ip -n "$ns" addr add "10.232.0.$i/24" dev "${host}i"
    ip -n "$ns" link set "${host}i" up
    ip -n "$ns" link set lo up
done
# Bare: ns b1 -- ns b2 on one veth pair.
ip netns add "${tag}b1"
ip netns add "${tag}b2"
ip -n "${tag}b1" link add x type veth peer name y netns "${tag}b2"
ip -n "${tag}b1" addr add 10.233.0.1/24 dev x
ip -n "${tag}b2" addr add 10.233.0.2/24 dev y
ip -n "${tag}b1" link set x up
ip -n "${tag}b2" link set y up

"$ctswitchd" --listen "ptcp:$ofport:127.0.0.1" --probe-interval 0 --socket "$dir/ctl" --threads "${THREADS:-1}" \
    --port "1=afpacket:${tag}a" --port "2=afpacket:${tag}b" >"$dir/daemon.out" 2>&1 &
daemon_pid=$!
for _ in $(seq 50); do [[ -S $dir/ctl ]] && break; sleep 0.1; done
cat >"$dir/flows" <<'EOF'
table=0,priority=10,ip,ct_state=-trk,actions=ct(table=1)
table=0,priority=10,arp,actions=NORMAL
table=1,priority=10,ip,in_port=1,ct_state=+trk+new,actions=ct(commit),output:2
table=1,priority=10,ip,in_port=1,ct_state=+trk+est,actions=output:2
table=1,priority=10,ip,in_port=2,ct_state=+trk+est,actions=output:1
table=1,priority=0,actions=drop
EOF
ovs-ofctl -O OpenFlow13 add-flows "tcp:127.0.0.1:$ofport" "$dir/flows"

# Gbit/s of one stream from namespace $1 to address $2 in namespace $3.
stream() {
    local port=$((5200 + RANDOM % 1000))
    rm -f "$dir/rx" # no stale "ready" from the last run
    ip netns exec "$3" python3 -c "
import socket,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)
s.bind(('0.0.0.0',$port)); s.listen(1); print('ready',flush=True)
c,_=s.accept(); n=0; t=time.monotonic(); b=bytearray(1<<20)
while True:
    k=c.recv_into(b)
    if not k: break
    n+=k
print('%.2f' % (n*8/(time.monotonic()-t)/1e9))" >"$dir/rx" &
    local rx=$!
    until grep -q ready "$dir/rx" 2>/dev/null; do sleep 0.05; done
    ip netns exec "$1" python3 -c "
import socket,time
s=socket.create_connection(('$2',$port)); b=bytes(1<<20); end=time.monotonic()+$secs
while time.monotonic()<end: s.sendall(b)
s.close()"
    wait "$rx"
    tail -n1 "$dir/rx"
}

# "SENT_PPS RECEIVED_PPS" of 64-byte frames (18-byte UDP payloads) sent
# as fast as one Python thread can from namespace $1 to $2 in $3.
udp() {
    local port=$((6200 + RANDOM % 1000))
    rm -f "$dir/rx" # no stale "ready" from the last run
    ip netns exec "$3" python3 -c "
import socket,time
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(('0.0.0.0',$port))
s.setsockopt(socket.SOL_SOCKET,socket.SO_RCVBUF,8<<20); s.settimeout(1)
print('ready',flush=True); n=0
try:
    while True: s.recv(64); n+=1
except OSError: pass
print(n)" >"$dir/rx" &
    local rx=$!
    until grep -q ready "$dir/rx" 2>/dev/null; do sleep 0.05; done
    local sent
    sent=$(ip netns exec "$1" python3 -c "
import socket,time
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.connect(('$2',$port))
b=bytes(18); n=0; end=time.monotonic()+$secs
while time.monotonic()<end:
    for _ in range(100):
        try: s.send(b); n+=1
        except OSError: pass
print(n)")
    wait "$rx"
    awk -v s="$sent" -v r="$(tail -n1 "$dir/rx")" -v t="$secs" \
        'BEGIN {printf "%.0f %.0f %.2f\n", s / t / 1000, r / t / 1000, 100 * (s - r) / s}'
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$daemon_pid/stat"; }
hz=$(getconf CLK_TCK)
switched=() bare=() cpu=() uswitched=() ubare=() ucpu=()
percent() { awk -v t=$(($2 - $1)) -v hz="$hz" -v s="$secs" 'BEGIN {printf "%.0f", 100 * t / hz / s}'; }
for _ in $(seq "$runs"); do
    t0=$(cpu_ticks)
    switched+=("$(stream "${tag}s1" 10.232.0.2 "${tag}s2")")
    cpu+=("$(percent "$t0" "$(cpu_ticks)")")
    bare+=("$(stream "${tag}b1" 10.233.0.2 "${tag}b2")")
    t0=$(cpu_ticks)
    uswitched+=("$(udp "${tag}s1" 10.232.0.2 "${tag}s2")")
    ucpu+=("$(percent "$t0" "$(cpu_ticks)")")
    ubare+=("$(udp "${tag}b1" 10.233.0.2 "${tag}b2")")
done

summary() {
    sort -g | awk '{v[NR] = $1} END {printf "%s median, %s-%s", v[int((NR + 1) / 2)], v[1], v[NR]}'
}
echo "one TCP stream, $runs interleaved runs of ${secs}s, default veth offloads (Gbit/s)"
echo "bare veth:              $(printf '%s\n' "${bare[@]}" | summary)"
echo "ctswitchd ct firewall:  $(printf '%s\n' "${switched[@]}" | summary), ctswitchd CPU $(printf '%s\n' "${cpu[@]}" | summary) %"
column() { printf '%s\n' "${@:2}" | awk -v c="$1" '{print $c}' | summary; }
echo "64-byte UDP frames, one Python sender (kpps sent / kpps received / loss %)"
echo "bare veth:              $(column 1 "${ubare[@]}") / $(column 2 "${ubare[@]}") / $(column 3 "${ubare[@]}")"
echo "ctswitchd ct firewall:  $(column 1 "${uswitched[@]}") / $(column 2 "${uswitched[@]}") / $(column 3 "${uswitched[@]}"), ctswitchd CPU $(printf '%s\n' "${ucpu[@]}" | summary) %"
