#!/bin/sh
# End to end: a real live migration between two libvirt daemons on this
# machine, with the migseal hook installed, where the hook's refusal shows
# up in `virsh migrate` and the guest keeps running on the source.
#
# Two session-mode libvirtd run as one unprivileged user, each with its own
# XDG directories and host UUID (libvirt refuses a migration to the same
# host UUID). The guest is a diskless TCG guest (64 MiB, no OS).
#
#   1. annotate the guest on A (`migseal libvirt annotate --live --apply`)
#      and migrate A -> B: the hook passes the XML through, the guest runs on B;
#   2. on B, give the guest metadata this migseal cannot read (version 2,
#      as a newer migseal would write) and migrate B -> A: the hook refuses,
#      `virsh migrate` fails with the hook's words, the guest runs on B.
#
# The check of real devices needs mdev devices on both hosts (the mtty
# sample driver), which this machine's kernel does not provide; the device
# refusals themselves are covered by cli/tests/libvirt.rs.
#
# Needs: root (it creates a user and installs the hook into
# /etc/libvirt/hooks/qemu.d, removed again at the end), Debian packages
# libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86.
# The daemons run hooks with their PATH, which starts with the copy of
# MIGSEAL. Usage: MIGSEAL=target/debug/migseal sh cli/libvirt/e2e-migrate.sh
set -eu

MIGSEAL=$(realpath "${MIGSEAL:?set MIGSEAL to the migseal binary}")
HERE=$(dirname "$(realpath "$0")")
USER_NAME=migseal-e2e
HOOK=/etc/libvirt/hooks/qemu.d/50-migseal
NS=https://migseal.dev/xmlns/libvirt/domain/1
WORK=$(mktemp -d /tmp/migseal-e2e.XXXXXX)
chmod 755 "$WORK"

id "$USER_NAME" >/dev/null 2>&1 || useradd -m "$USER_NAME"
[ -e "$HOOK" ] && { echo "$HOOK exists already: not replacing it" >&2; exit 2; }
install -D -m 0755 "$HERE/qemu.d/50-migseal" "$HOOK"
install -m 0755 "$MIGSEAL" "$WORK/migseal"

as() { # as a|b COMMAND...: run COMMAND as the user, in daemon a's or b's environment
    side=$1; shift
    d=$WORK/$side
    runuser -u "$USER_NAME" -- env HOME="$d" XDG_RUNTIME_DIR="$d/run" XDG_CONFIG_HOME="$d/config" \
        XDG_CACHE_HOME="$d/cache" XDG_DATA_HOME="$d/data" PATH="$WORK:$PATH" "$@"
}
uri() { echo "qemu+unix:///session?socket=$WORK/$1/run/libvirt/libvirt-sock"; }

cleanup() {
    as a virsh -c "$(uri a)" destroy tcg1 >/dev/null 2>&1 || true
    as b virsh -c "$(uri b)" destroy tcg1 >/dev/null 2>&1 || true
    for side in a b; do
        pid=$(cat "$WORK/$side/run/libvirt/libvirtd.pid" 2>/dev/null || true)
        [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    done
    rm -f "$HOOK"
    sleep 1
    rm -rf "$WORK"
}
trap cleanup EXIT

n=1
for side in a b; do
    mkdir -p "$WORK/$side/run" "$WORK/$side/config/libvirt" "$WORK/$side/cache" "$WORK/$side/data"
    chmod 700 "$WORK/$side/run"
    echo "host_uuid = \"$n$n$n$n$n$n$n$n-$n$n$n$n-4$n$n$n-8$n$n$n-$n$n$n$n$n$n$n$n$n$n$n$n\"" \
        >"$WORK/$side/config/libvirt/libvirtd.conf"
    chown -R "$USER_NAME" "$WORK/$side"
    # The daemon looks for hooks when it starts: after the hook is installed.
    as "$side" libvirtd --daemon
    n=$((n + 1))
done
sleep 2

cat >"$WORK/tcg1.xml" <<'EOF'
<domain type='qemu'>
  <name>tcg1</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <graphics type='vnc' port='-1' listen='127.0.0.1'/>
  </devices>
</domain>
EOF
chmod 644 "$WORK/tcg1.xml"

echo "== A: start and annotate the guest"
as a virsh -c "$(uri a)" "define $WORK/tcg1.xml; start tcg1"
as a "$WORK/migseal" libvirt annotate --domain tcg1 --connect "$(uri a)" --live --apply

echo "== migrate A -> B (the hook passes it)"
as a virsh -c "$(uri a)" migrate --live tcg1 "$(uri b)" --migrateuri tcp://127.0.0.1:49170
as b virsh -c "$(uri b)" domstate tcg1

echo "== B: metadata of a newer migseal; migrate B -> A (the hook on A refuses)"
as b virsh -c "$(uri b)" metadata tcg1 --live --uri "$NS" --key migseal --set '<devices version="2"/>'
if as b virsh -c "$(uri b)" migrate --live tcg1 "$(uri a)" --migrateuri tcp://127.0.0.1:49171 2>"$WORK/refusal"; then
    echo "FAIL: the migration was not refused" >&2
    exit 1
fi
echo "virsh migrate failed, as it should; it said:"
sed 's/^/    /' "$WORK/refusal"
grep -q "refusing the incoming migration of domain 'tcg1'" "$WORK/refusal"
echo "== the guest is still running on B:"
as b virsh -c "$(uri b)" domstate tcg1 | grep -q running
echo "PASS"
