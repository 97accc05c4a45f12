/*
 * migseal-consumer SOURCE COMPATIBLE_DEST INCOMPATIBLE_DEST
 *
 * Checks, through the installed header and library: the library's version
 * is the one pkg-config reported; SOURCE can migrate to COMPATIBLE_DEST;
 * SOURCE cannot migrate to INCOMPATIBLE_DEST (a 5xx reason). Prints one
 * line per check; exit 0 only when all hold.
 */
#include <migseal.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(2);
    }
    unsigned char *buf = malloc(1 << 16);
    *len = fread(buf, 1, 1 << 16, f);
    fclose(f);
    return buf;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s SOURCE COMPATIBLE_DEST INCOMPATIBLE_DEST\n", argv[0]);
        return 2;
    }
    const char *version = migseal_version();
    if (strcmp(version, MIGSEAL_PC_VERSION) != 0) {
        printf("FAIL: migseal_version() is %s, pkg-config said %s\n", version, MIGSEAL_PC_VERSION);
        return 1;
    }
    printf("migseal_version() = %s = pkg-config's version\n", version);

    size_t src_len, ok_len, bad_len;
    unsigned char *src = read_file(argv[1], &src_len);
    unsigned char *ok = read_file(argv[2], &ok_len);
    unsigned char *bad = read_file(argv[3], &bad_len);
    migseal_reason reasons[4];
    migseal_compat_info info;

    migseal_status s = migseal_compat_check(src, src_len, ok, ok_len, reasons, 4, &info);
    if (s != MIGSEAL_OK || !info.has_version || info.reason_count != 0) {
        printf("FAIL: %s -> %s: status %d, %zu reasons\n", argv[1], argv[2], (int)s, info.reason_count);
        return 1;
    }
    printf("compatible: %s -> %s, state version %u.%u\n", argv[1], argv[2], (unsigned)info.version_major,
           (unsigned)info.version_minor);

    s = migseal_compat_check(src, src_len, bad, bad_len, reasons, 4, &info);
    if (s < 500 || s > 599 || info.reason_count == 0 || reasons[0].code != (int32_t)s) {
        printf("FAIL: %s -> %s: status %d, %zu reasons\n", argv[1], argv[3], (int)s, info.reason_count);
        return 1;
    }
    printf("refused: %s -> %s, %zu reasons, first %d: %s\n", argv[1], argv[3], info.reason_count, (int)s,
           reasons[0].message);
    free(src);
    free(ok);
    free(bad);
    return 0;
}
