/*
 * Where QEMU's VFIO migration code would ask migseal whether a device's
 * state can come to this host: the compatibility check, through the C ABI.
 *
 * In QEMU (hw/vfio/migration.c) the destination's VFIO device learns that
 * an incoming migration begins when its load_setup handler runs, before
 * any device state has arrived and before the device is switched to
 * RESUMING. That is the place for migseal_compat_check(): the source
 * descriptor comes from the migration (the domain's libvirt metadata, or
 * a small config section the source sends first), the destination
 * descriptor from this device (its sysfs, as `migseal descriptor --sysfs`
 * builds it). A refusal becomes the migration's error (error_setg), and
 * the guest keeps running on the source. This is the second line of
 * defence when libvirt's hook is not in the path (plain QEMU, another
 * management stack).
 *
 * When device state arrives (the load_state handler, before each buffer
 * goes to the device's migration data fd), QEMU would feed it to the
 * migseal verifier and let no payload reach the vendor driver before the
 * verifier's finish said OK. That call is described in README.md; this
 * example keeps to the compatibility check.
 *
 * Usage: qemu_vfio_compat DEVICE-NAME SOURCE.cbor DESTINATION.cbor
 * Exit: 0 compatible, 13 incompatible, 10 malformed descriptor, 2 usage
 * or unreadable file. Build:
 *   cc -std=c11 -I capi/include capi/examples/qemu_vfio_compat.c \
 *      target/debug/libmigseal_capi.a -lpthread -ldl -lm -o qemu_vfio_compat
 */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migseal.h"

/* As many reasons as the check can report for a device (more are counted). */
#define MAX_REASONS 16
/* A descriptor is small (the specification bounds it well below this). */
#define MAX_DESCRIPTOR 4096

/* Reads a whole (small) file; returns its length, or -1. */
static long read_file(const char *path, uint8_t *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t n = fread(buf, 1, cap, f);
    int too_long = n == cap && fgetc(f) != EOF;
    fclose(f);
    if (too_long) {
        fprintf(stderr, "%s: longer than %zu bytes: not a descriptor\n", path, cap);
        return -1;
    }
    return (long)n;
}

/*
 * The shape of QEMU's check in vfio_load_setup(): 0 when the state may
 * come, else a negative errno (-EINVAL incompatible, -EBADMSG malformed
 * descriptor) with every reason reported (in QEMU: error_setg(errp, ...),
 * so that `virsh migrate` or the QMP client sees it).
 */
static int vfio_migseal_load_setup(const char *name,
                                   const uint8_t *source, size_t source_len,
                                   const uint8_t *destination, size_t destination_len)
{
    migseal_reason reasons[MAX_REASONS];
    migseal_compat_info info;
    migseal_status st = migseal_compat_check(source, source_len, destination, destination_len,
                                             reasons, MAX_REASONS, &info);
    if (st == MIGSEAL_OK) {
        printf("%s: compatible: state version %u.%u will be used\n", name,
               (unsigned)info.version_major, (unsigned)info.version_minor);
        return 0;
    }
    if (info.bad_descriptor != 0) {
        fprintf(stderr, "%s: the %s descriptor is malformed at byte %llu: error %d (%s): %s\n", name,
                info.bad_descriptor == 1 ? "source" : "destination",
                (unsigned long long)info.error_offset, (int)st, migseal_status_name(st),
                migseal_status_message(st));
        return -EBADMSG;
    }
    fprintf(stderr, "%s: INCOMPATIBLE: %zu reason(s)\n", name, info.reason_count);
    size_t shown = info.reason_count < MAX_REASONS ? info.reason_count : MAX_REASONS;
    for (size_t i = 0; i < shown; i++) {
        fprintf(stderr, "  error %d (%s): %s\n", (int)reasons[i].code,
                migseal_status_name(reasons[i].code), reasons[i].message);
    }
    if (info.reason_count > shown) {
        fprintf(stderr, "  ... and %zu more\n", info.reason_count - shown);
    }
    return -EINVAL;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s DEVICE-NAME SOURCE.cbor DESTINATION.cbor\n", argv[0]);
        return 2;
    }
    static uint8_t source[MAX_DESCRIPTOR];
    static uint8_t destination[MAX_DESCRIPTOR];
    long source_len = read_file(argv[2], source, sizeof source);
    long destination_len = read_file(argv[3], destination, sizeof destination);
    if (source_len < 0 || destination_len < 0) {
        return 2;
    }
    int ret = vfio_migseal_load_setup(argv[1], source, (size_t)source_len, destination,
                                      (size_t)destination_len);
    return ret == 0 ? 0 : ret == -EBADMSG ? 10 : 13;
}
