#!/bin/sh
# /init of the test initramfs (`cargo xtask kernel`): loads vfio, mdev and
# the patched mtty, creates mdevs, dumps mtty's sysfs, runs migtest against
# the patched driver, then against the stock one, and powers off. The
# harness reads the console: "verdict:", "sysfs:", "kernel-test:" lines.
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
. /params
echo "kernel-test: booted $(uname -r)"
for m in vfio vfio_iommu_type1 mdev; do
	insmod /lib/$m.ko || echo "verdict: FAIL insmod-$m"
done

T=/sys/class/mdev_bus/mtty/mdev_supported_types
A=83b8f4f2-509f-382f-3c1e-e6bfe0fa1001
B=83b8f4f2-509f-382f-3c1e-e6bfe0fa1002
C=83b8f4f2-509f-382f-3c1e-e6bfe0fa1003
mdevs() {
	echo $B > $T/mtty-2/create && { [ -z "$1" ] || echo $C > $T/mtty-1/create; }
}
unmdevs() {
	for u in $A $B $C; do
		[ -e /sys/bus/mdev/devices/$u ] && echo 1 > /sys/bus/mdev/devices/$u/remove
	done
}

if insmod /lib/mtty-patched.ko seal_key=$SEAL_KEY trusted_key=$TRUSTED_KEY \
	security_version=3 min_security_version=2 session=$SESSION &&
	echo $A > $T/mtty-2/create; then
	# With one mtty-2 mdev, as the CLI's sysfs fixture has it.
	for f in $T/*/*; do
		case "$f" in */create | */devices) continue ;; esac
		echo "sysfs: ${f#$T/}=$(cat $f)"
	done
	echo "sysfs: mdev_type=$(readlink /sys/bus/mdev/devices/$A/mdev_type)"
	mdevs 1 || echo "verdict: FAIL create-mdevs"
	/migtest patched $A $B $C /images
	unmdevs
	rmmod mtty
else
	echo "verdict: FAIL patched-mtty-setup"
fi

if insmod /lib/mtty-stock.ko && echo $A > $T/mtty-2/create && mdevs; then
	/migtest stock $A $B
	unmdevs
	rmmod mtty
else
	echo "verdict: FAIL stock-mtty-setup"
fi

# Warnings are below `quiet`'s console level: show them from the log.
dmesg | grep -E "BUG|WARNING|Oops|Call Trace|stack guard|general protection" | sed 's/^/dmesg: /'
echo "kernel-test: done"
poweroff -f
