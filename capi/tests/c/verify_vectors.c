/*
 * Verifies the migseal spec vectors through the C ABI, as QEMU or a C
 * driver would: policies built with the policy functions, images fed in
 * odd fragment sizes, payload runs checked against the reported offsets,
 * descriptors decoded and compared, and every ABI misuse code provoked.
 *
 * Usage: verify_vectors PLAN
 *
 * PLAN (written by capi/tests/c_vectors.rs from spec/vectors/index.json),
 * one item per line:
 *   policy NAME                 starts a policy; then, until "end":
 *   key EXPECT PK VENDOR N T1..TN   add a trusted key; EXPECT: its status
 *   revoke KEYID | min VENDOR TYPE|- N | session HEX | subject TEXT
 *   limits HDR CHUNK CHUNKS TOTAL   (0 keeps a default)
 *   end
 *   image NAME POLICY IMAGE DEVICE CODE
 *   descriptor NAME FILE CODE
 *   compat SOURCE DESTINATION FIRST-CODE COUNT VERSION|-
 *   fillkey PK                  valid keys, to fill the trust store
 *   badpoint PK                 bytes that are not a curve point
 *   jsonpolicy FILE LOAD IMAGE DEVICE CODE   load a policy file's JSON
 *                               (expect LOAD), then verify IMAGE (CODE)
 *
 * Prints "N passed, M failed"; exits 1 on any failure.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migseal.h"

static int passed, failed;

#define CHECK(cond, ...)                                                     \
    do {                                                                     \
        if (cond) {                                                          \
            passed++;                                                        \
        } else {                                                             \
            failed++;                                                        \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);             \
            fprintf(stderr, __VA_ARGS__);                                    \
            fputc('\n', stderr);                                             \
        }                                                                    \
    } while (0)

static void *xalloc(size_t align, size_t size) {
    /* aligned_alloc wants a size that is a multiple of the alignment. */
    size_t rounded = (size + align - 1) / align * align;
    void *p = aligned_alloc(align, rounded);
    if (!p) {
        perror("aligned_alloc");
        exit(2);
    }
    memset(p, 0xa5, rounded); /* never rely on zeroed memory */
    return p;
}

static uint8_t *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(2);
    }
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        if (got == 0)
            break;
        n += got;
    }
    fclose(f);
    *len = n;
    return buf;
}

static int unhex(const char *s, uint8_t *out, size_t cap, size_t *len) {
    size_t n = strlen(s);
    if (n % 2 || n / 2 > cap)
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        if (sscanf(s + 2 * i, "%2x", &v) != 1)
            return -1;
        out[i] = (uint8_t)v;
    }
    *len = n / 2;
    return 0;
}

/* ---- policies ---------------------------------------------------------- */

#define MAX_POLICIES 16
static struct {
    char name[64];
    migseal_policy *policy;
} policies[MAX_POLICIES];
static int n_policies;

static migseal_policy *new_policy(void) {
    void *mem = xalloc(migseal_policy_align(), migseal_policy_size());
    migseal_policy *p = NULL;
    migseal_status s = migseal_policy_init(mem, migseal_policy_size(), &p);
    CHECK(s == MIGSEAL_OK && p == mem, "policy_init: %d", (int)s);
    return p;
}

static migseal_policy *find_policy(const char *name) {
    for (int i = 0; i < n_policies; i++)
        if (strcmp(policies[i].name, name) == 0)
            return policies[i].policy;
    fprintf(stderr, "unknown policy %s\n", name);
    exit(2);
}

/* Reads policy lines until "end". */
static void read_policy(FILE *plan, const char *name) {
    if (n_policies == MAX_POLICIES)
        exit(2);
    migseal_policy *p = new_policy();
    snprintf(policies[n_policies].name, sizeof policies[n_policies].name, "%s", name);
    policies[n_policies++].policy = p;
    char line[4096];
    while (fgets(line, sizeof line, plan)) {
        line[strcspn(line, "\n")] = 0;
        char *save = NULL;
        char *word = strtok_r(line, " ", &save);
        if (!word)
            continue;
        if (strcmp(word, "end") == 0)
            return;
        if (strcmp(word, "key") == 0) {
            int expect = atoi(strtok_r(NULL, " ", &save));
            uint8_t pk[32];
            size_t len;
            if (unhex(strtok_r(NULL, " ", &save), pk, 32, &len) || len != 32)
                exit(2);
            const char *vendor = strtok_r(NULL, " ", &save);
            size_t n = (size_t)atoi(strtok_r(NULL, " ", &save));
            const char *types[8];
            for (size_t i = 0; i < n && i < 8; i++)
                types[i] = strtok_r(NULL, " ", &save);
            migseal_status s = migseal_policy_add_trusted_key(p, pk, vendor, n ? types : NULL, n);
            CHECK(s == expect, "policy %s: add key for %s: %d (%s), expected %d", name, vendor, (int)s,
                  migseal_status_name(s), expect);
        } else if (strcmp(word, "revoke") == 0) {
            uint8_t id[32];
            size_t len;
            if (unhex(strtok_r(NULL, " ", &save), id, 32, &len) || len != 32)
                exit(2);
            CHECK(migseal_policy_revoke(p, id) == MIGSEAL_OK, "revoke");
        } else if (strcmp(word, "min") == 0) {
            const char *vendor = strtok_r(NULL, " ", &save);
            const char *type = strtok_r(NULL, " ", &save);
            unsigned long long minimum = strtoull(strtok_r(NULL, " ", &save), NULL, 10);
            CHECK(migseal_policy_min_security(p, vendor, strcmp(type, "-") ? type : NULL, minimum) == MIGSEAL_OK,
                  "min_security");
        } else if (strcmp(word, "session") == 0) {
            int expect = atoi(strtok_r(NULL, " ", &save));
            uint8_t nonce[64];
            size_t len;
            if (unhex(strtok_r(NULL, " ", &save), nonce, 64, &len))
                exit(2);
            migseal_status s = migseal_policy_set_session(p, nonce, len);
            CHECK(s == expect, "policy %s: session: %d (%s), expected %d", name, (int)s, migseal_status_name(s), expect);
        } else if (strcmp(word, "subject") == 0) {
            CHECK(migseal_policy_set_subject(p, strtok_r(NULL, "", &save)) == MIGSEAL_OK, "subject");
        } else if (strcmp(word, "limits") == 0) {
            migseal_limits l;
            l.max_header_len = strtoull(strtok_r(NULL, " ", &save), NULL, 10);
            l.max_chunk_len = strtoull(strtok_r(NULL, " ", &save), NULL, 10);
            l.max_chunks = strtoull(strtok_r(NULL, " ", &save), NULL, 10);
            l.max_total_len = strtoull(strtok_r(NULL, " ", &save), NULL, 10);
            CHECK(migseal_policy_set_limits(p, &l) == MIGSEAL_OK, "limits");
        }
    }
}

/* ---- images ------------------------------------------------------------ */

/*
 * Feeds `image` in fragments of `frag` bytes (0: whole). Returns the
 * final status; checks the payload runs as it goes.
 */
static migseal_status verify_once(const char *name, migseal_policy *policy, const uint8_t *image, size_t len,
                                  const uint8_t *device, size_t device_len, size_t frag, migseal_verdict *verdict,
                                  uint64_t *payload_seen) {
    void *dmem = xalloc(migseal_device_align(), migseal_device_size());
    migseal_device *dev = NULL;
    migseal_status s = migseal_device_init(dmem, migseal_device_size(), device, device_len, &dev);
    CHECK(s == MIGSEAL_OK, "%s: device_init: %d", name, (int)s);
    void *mem = xalloc(migseal_verifier_align(), migseal_verifier_size());
    migseal_verifier *v = NULL;
    if (s == MIGSEAL_OK)
        s = migseal_verifier_init(mem, migseal_verifier_size(), &v);
    CHECK(s == MIGSEAL_OK, "%s: verifier_init: %d", name, (int)s);
    if (s != MIGSEAL_OK) {
        free(mem);
        free(dmem);
        return s;
    }
    *payload_seen = 0;
    size_t off = 0;
    while (off < len && s == MIGSEAL_OK) {
        size_t n = frag && frag < len - off ? frag : len - off;
        /* A private copy per fragment, so ASan sees any read past it. */
        uint8_t *piece = malloc(n);
        memcpy(piece, image + off, n);
        size_t done = 0;
        while (done < n) {
            migseal_step step;
            s = migseal_verifier_advance(v, policy, dev, piece + done, n - done, &step);
            if (s != MIGSEAL_OK) {
                CHECK(step.consumed == 0, "%s: consumed on error", name);
                break;
            }
            CHECK(step.consumed > 0 && step.consumed <= n - done, "%s: consumed %zu of %zu", name, step.consumed,
                  n - done);
            if (step.payload_len) {
                CHECK(step.payload_start + step.payload_len == step.consumed, "%s: payload run placement", name);
                CHECK(step.payload_offset == *payload_seen, "%s: payload offset %llu, expected %llu", name,
                      (unsigned long long)step.payload_offset, (unsigned long long)*payload_seen);
                CHECK(memcmp(piece + done + step.payload_start, image + off + done + step.payload_start,
                             step.payload_len) == 0,
                      "%s: payload bytes", name);
                *payload_seen += step.payload_len;
            }
            if (step.consumed == 0)
                break;
            done += step.consumed;
        }
        free(piece);
        off += n;
    }
    if (s == MIGSEAL_OK)
        s = migseal_verifier_finish(v, verdict);
    if (s != MIGSEAL_OK) {
        migseal_error err;
        migseal_status e = migseal_verifier_error(v, &err);
        CHECK(e == s && err.code == (int32_t)s && err.errno_value > 0, "%s: error() %d/%d for %d", name, (int)e,
              err.code, (int)s);
        char msg[1024];
        size_t needed = 0;
        CHECK(migseal_verifier_message(v, msg, sizeof msg, &needed) == MIGSEAL_OK && strlen(msg) == needed &&
                  needed > 0,
              "%s: message", name);
        size_t asked = 0;
        CHECK(migseal_verifier_message(v, NULL, 0, &asked) == MIGSEAL_ABI_BUFFER_TOO_SMALL && asked == needed,
              "%s: message length asked first", name);
        for (const char *c = msg; *c; c++)
            CHECK((unsigned char)*c < 0x80, "%s: message is ASCII", name);
        migseal_step step;
        uint8_t byte = 0;
        CHECK(migseal_verifier_advance(v, policy, dev, &byte, 1, &step) == s, "%s: sticky error", name);
        CHECK(migseal_verifier_finish(v, NULL) == s, "%s: sticky error at finish", name);
    }
    CHECK(migseal_verifier_drop(v) == MIGSEAL_OK, "%s: drop", name);
    free(mem);
    free(dmem);
    return s;
}

static void check_image(const char *name, const char *policy, const char *image_path, const char *device_path,
                        int expect) {
    size_t len, device_len;
    uint8_t *image = read_file(image_path, &len);
    uint8_t *device = read_file(device_path, &device_len);
    static const size_t fragments[] = {0, 1, 3, 7, 64, 4093};
    for (size_t i = 0; i < sizeof fragments / sizeof fragments[0]; i++) {
        migseal_verdict verdict;
        uint64_t payload = 0;
        migseal_status s = verify_once(name, find_policy(policy), image, len, device, device_len, fragments[i],
                                       &verdict, &payload);
        CHECK(s == expect, "%s (fragments of %zu): %d (%s), expected %d (%s)", name, fragments[i], (int)s,
              migseal_status_name(s), expect, migseal_status_name(expect));
        if (s == MIGSEAL_OK && expect == MIGSEAL_OK) {
            CHECK(verdict.payload_len == payload, "%s: verdict payload %llu, streamed %llu", name,
                  (unsigned long long)verdict.payload_len, (unsigned long long)payload);
            CHECK(verdict.vendor[0] && verdict.codec[0] && verdict.device_type[0], "%s: verdict names", name);
        }
    }
    free(image);
    free(device);
}

/* ---- descriptors and compatibility ------------------------------------- */

static uint8_t *mtty2;
static size_t mtty2_len;

static void check_descriptor(const char *name, const char *path, int expect) {
    size_t len;
    uint8_t *d = read_file(path, &len);
    migseal_compat_info info;
    migseal_status s = migseal_compat_check(d, len, mtty2, mtty2_len, NULL, 0, &info);
    if (expect) {
        CHECK(s == expect && info.bad_descriptor == 1, "descriptor %s: %d (bad %d), expected %d", name, (int)s,
              info.bad_descriptor, expect);
    } else {
        CHECK(s == MIGSEAL_OK || (s >= 500 && s < 600), "descriptor %s decodes: %d", name, (int)s);
        /* As the destination too (the other slot). */
        s = migseal_compat_check(mtty2, mtty2_len, d, len, NULL, 0, &info);
        CHECK(info.bad_descriptor == 0, "descriptor %s as destination: %d", name, (int)s);
    }
    free(d);
}

static void check_compat(const char *src_path, const char *dst_path, int first, size_t count, const char *version) {
    size_t sl, dl;
    uint8_t *src = read_file(src_path, &sl);
    uint8_t *dst = read_file(dst_path, &dl);
    migseal_reason *reasons = malloc(sizeof *reasons * 2);
    migseal_compat_info info;
    migseal_status s = migseal_compat_check(src, sl, dst, dl, reasons, 2, &info);
    CHECK(s == first && info.reason_count == count, "compat %s -> %s: %d/%zu, expected %d/%zu", src_path, dst_path,
          (int)s, info.reason_count, first, count);
    if (count) {
        CHECK(reasons[0].code == first && strlen(reasons[0].message) > 20, "compat first reason");
    }
    if (strcmp(version, "-") == 0) {
        CHECK(!info.has_version, "compat version: none expected");
    } else {
        char got[32];
        snprintf(got, sizeof got, "%u.%u", info.version_major, info.version_minor);
        CHECK(info.has_version && strcmp(got, version) == 0, "compat version %s, expected %s", got, version);
    }
    free(reasons);
    free(src);
    free(dst);
}

/* ---- the policy file's JSON ---------------------------------------------- */

/*
 * Loads `file` (the CLI's policy file) through migseal_policy_load_json;
 * when it loads, verifies `image_path` under it. A refused file leaves the
 * policy as it was: an empty policy trusts nothing (untrusted key, 400).
 */
static void check_json_policy(const char *file, int load, const char *image_path, const char *device_path,
                              int expect) {
    size_t len, image_len, device_len;
    uint8_t *text = read_file(file, &len);
    migseal_policy *p = new_policy();
    size_t line = 99, column = 99;
    migseal_status s = migseal_policy_load_json(p, (const char *)text, len, &line, &column);
    CHECK(s == load, "%s: load_json %d (%s), expected %d", file, (int)s, migseal_status_name(s), load);
    CHECK(line == 0 && column == 0, "%s: no position for a file that parses (%zu:%zu)", file, line, column);
    uint8_t *image = read_file(image_path, &image_len);
    uint8_t *device = read_file(device_path, &device_len);
    uint64_t seen = 0;
    migseal_verdict verdict;
    int want = load == MIGSEAL_OK ? expect : MIGSEAL_UNTRUSTED_KEY;
    s = verify_once(file, p, image, image_len, device, device_len, 0, &verdict, &seen);
    CHECK(s == want, "%s: verify %d (%s), expected %d", file, (int)s, migseal_status_name(s), want);
    free(text);
    free(image);
    free(device);
    free(p); /* the policy is plain data in caller memory: nothing to drop */
}

static void check_json_policy_misuse(void) {
    migseal_policy *p = new_policy();
    size_t line = 0, column = 0;
    const char *broken = "{\n  \"trusted\": [\n    {\"public_key\": 7}\n  ]\n}";
    CHECK(migseal_policy_load_json(p, broken, strlen(broken), &line, &column) == MIGSEAL_ABI_INVALID_POLICY_FILE &&
              line == 3 && column > 0,
          "805 with its position: %zu:%zu", line, column);
    const char *unknown = "{\"trusted\": [], \"trustd\": []}";
    CHECK(migseal_policy_load_json(p, unknown, strlen(unknown), NULL, NULL) == MIGSEAL_ABI_INVALID_POLICY_FILE,
          "805 for an unknown field");
    const char *not_utf8 = "{\"subject\": \"\xff\"}";
    CHECK(migseal_policy_load_json(p, not_utf8, strlen(not_utf8), NULL, NULL) == MIGSEAL_ABI_INVALID_POLICY_FILE,
          "805 for text that is not UTF-8");
    CHECK(migseal_policy_load_json(NULL, "{}", 2, NULL, NULL) == MIGSEAL_ABI_NULL_POINTER, "policy NULL");
    CHECK(migseal_policy_load_json(p, NULL, 5, NULL, NULL) == MIGSEAL_ABI_NULL_POINTER, "text NULL");
    CHECK(migseal_policy_load_json(p, "{}", 2, NULL, NULL) == MIGSEAL_OK, "an empty policy file");
    free(p);
}

/* ---- misuse of the ABI -------------------------------------------------- */

static uint8_t fill_keys[17][32];
static int n_fill;
static uint8_t bad_point[32];

static void check_misuse(void) {
    check_json_policy_misuse();
    migseal_policy *out = NULL;
    size_t psize = migseal_policy_size(), palign = migseal_policy_align();
    uint8_t *raw = xalloc(palign, psize + palign);

    CHECK(migseal_policy_init(NULL, psize, &out) == MIGSEAL_ABI_NULL_POINTER, "init NULL");
    CHECK(migseal_policy_init(raw, psize, NULL) == MIGSEAL_ABI_NULL_POINTER, "init NULL out");
    if (palign > 1)
        CHECK(migseal_policy_init(raw + 1, psize, &out) == MIGSEAL_ABI_MISALIGNED, "init misaligned");
    CHECK(migseal_policy_init(raw, psize - 1, &out) == MIGSEAL_ABI_BUFFER_TOO_SMALL, "init too small");

    /* Garbage is not a policy. */
    uint8_t pk[32] = {0};
    memset(raw, 0, psize);
    CHECK(migseal_policy_add_trusted_key((migseal_policy *)raw, fill_keys[0], "linux", NULL, 0) ==
              MIGSEAL_ABI_BAD_STATE,
          "uninitialised policy");

    migseal_policy *p = new_policy();
    CHECK(migseal_policy_add_trusted_key(p, bad_point, "linux", NULL, 0) == MIGSEAL_INVALID_PUBLIC_KEY, "602");
    pk[0] = 1; /* the identity point: small order */
    CHECK(migseal_policy_add_trusted_key(p, pk, "linux", NULL, 0) == MIGSEAL_WEAK_KEY, "409");
    CHECK(migseal_policy_add_trusted_key(p, fill_keys[0], "l nux", NULL, 0) == MIGSEAL_INVALID_IDENTIFIER, "205");
    char long_name[80];
    memset(long_name, 'a', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = 0;
    CHECK(migseal_policy_add_trusted_key(p, fill_keys[0], long_name, NULL, 0) == MIGSEAL_INVALID_IDENTIFIER,
          "205 long");
    CHECK(migseal_policy_add_trusted_key(p, fill_keys[0], "linux", NULL, 2) == MIGSEAL_ABI_NULL_POINTER,
          "types NULL");
    CHECK(migseal_policy_add_trusted_key(p, NULL, "linux", NULL, 0) == MIGSEAL_ABI_NULL_POINTER, "pk NULL");
    const char *types[2] = {"mtty-2", "mtty-1"}; /* any order */
    for (int i = 0; i < 16 && i < n_fill; i++) {
        CHECK(migseal_policy_add_trusted_key(p, fill_keys[i], "linux", types, 2) == MIGSEAL_OK, "fill %d", i);
    }
    if (n_fill == 17)
        CHECK(migseal_policy_add_trusted_key(p, fill_keys[16], "linux", NULL, 0) == MIGSEAL_TRUST_STORE_FULL,
              "410");
    uint8_t nonce[8] = {0};
    CHECK(migseal_policy_set_session(p, nonce, sizeof nonce) == MIGSEAL_INVALID_FIELD_LENGTH, "206");
    CHECK(migseal_policy_set_session(p, NULL, 0) == MIGSEAL_OK, "clear session");
    CHECK(migseal_policy_set_subject(p, "vm\x01") == MIGSEAL_INVALID_SUBJECT, "209");
    CHECK(migseal_policy_set_subject(p, NULL) == MIGSEAL_OK, "clear subject");
    CHECK(migseal_policy_set_limits(p, NULL) == MIGSEAL_ABI_NULL_POINTER, "limits NULL");
    for (int i = 0; i < 32; i++) {
        uint8_t id[32] = {0};
        id[0] = (uint8_t)i;
        CHECK(migseal_policy_revoke(p, id) == MIGSEAL_OK, "revoke %d", i);
        CHECK(migseal_policy_revoke(p, id) == MIGSEAL_OK, "revoke %d again (no new entry)", i);
    }
    CHECK(migseal_policy_revoke(p, fill_keys[0]) == MIGSEAL_TRUST_STORE_FULL, "revoke full");

    /* The device: an owned, validated copy of a destination descriptor. */
    size_t dsize = migseal_device_size(), dalign = migseal_device_align();
    uint8_t *draw = xalloc(dalign, dsize + dalign);
    migseal_device *dev = NULL;
    CHECK(migseal_device_init(draw, dsize, NULL, 0, &dev) == MIGSEAL_ABI_NULL_POINTER, "no device");
    CHECK(migseal_device_init(draw, dsize - 1, mtty2, mtty2_len, &dev) == MIGSEAL_ABI_BUFFER_TOO_SMALL,
          "device too small");
    if (dalign > 1)
        CHECK(migseal_device_init(draw + 1, dsize, mtty2, mtty2_len, &dev) == MIGSEAL_ABI_MISALIGNED,
              "device misaligned");
    CHECK(migseal_device_init(draw, dsize, mtty2, mtty2_len - 1, &dev) == MIGSEAL_TRUNCATED, "cut device");
    uint8_t *dcopy = malloc(mtty2_len);
    memcpy(dcopy, mtty2, mtty2_len);
    CHECK(migseal_device_init(draw, dsize, dcopy, mtty2_len, &dev) == MIGSEAL_OK, "device init");
    memset(dcopy, 0xff, mtty2_len); /* copied: the caller's bytes may go */
    free(dcopy);

    /* The verifier borrows nothing: the policy may change between calls. */
    size_t vsize = migseal_verifier_size(), valign = migseal_verifier_align();
    uint8_t *vraw = xalloc(valign, vsize + valign);
    migseal_verifier *v = NULL;
    CHECK(migseal_verifier_init(vraw, vsize - 1, &v) == MIGSEAL_ABI_BUFFER_TOO_SMALL, "verifier too small");
    if (valign > 1)
        CHECK(migseal_verifier_init(vraw + 1, vsize, &v) == MIGSEAL_ABI_MISALIGNED, "verifier misaligned");
    CHECK(migseal_verifier_init(vraw, vsize, NULL) == MIGSEAL_ABI_NULL_POINTER, "verifier NULL out");
    CHECK(migseal_verifier_init(vraw, vsize, &v) == MIGSEAL_OK, "verifier init");
    CHECK(migseal_policy_set_subject(p, "vm-1") == MIGSEAL_OK, "policy changes while a verifier exists");

    migseal_step step;
    uint8_t byte = 0x82;
    CHECK(migseal_verifier_advance(v, p, dev, &byte, 1, NULL) == MIGSEAL_ABI_NULL_POINTER, "step NULL");
    CHECK(migseal_verifier_advance(v, p, dev, NULL, 5, &step) == MIGSEAL_ABI_NULL_POINTER, "buf NULL");
    CHECK(migseal_verifier_advance(v, NULL, dev, &byte, 1, &step) == MIGSEAL_ABI_NULL_POINTER, "policy NULL");
    CHECK(migseal_verifier_advance(v, p, NULL, &byte, 1, &step) == MIGSEAL_ABI_NULL_POINTER, "device NULL");
    CHECK(migseal_verifier_advance(v, (migseal_policy *)draw, dev, &byte, 1, &step) == MIGSEAL_ABI_BAD_STATE,
          "a device is not a policy");
    CHECK(migseal_verifier_advance(v, p, dev, NULL, 0, &step) == MIGSEAL_OK && step.consumed == 0, "empty input");
    CHECK(migseal_verifier_advance(NULL, p, dev, &byte, 1, &step) == MIGSEAL_ABI_NULL_POINTER, "v NULL");

    /* A moved copy carries on where the original was: nothing points into it. */
    uint8_t *copy = xalloc(valign, vsize);
    memcpy(copy, vraw, vsize);
    uint8_t junk = 0x00; /* a uint where a record array is due: 113 */
    CHECK(migseal_verifier_advance((migseal_verifier *)copy, p, dev, &junk, 1, &step) == MIGSEAL_UNEXPECTED_TYPE,
          "moved copy continues");
    CHECK(migseal_verifier_drop((migseal_verifier *)copy) == MIGSEAL_OK, "moved drop");
    free(copy);

    /* A message that does not fit is cut visibly. */
    CHECK(migseal_verifier_advance(v, p, dev, &junk, 1, &step) == MIGSEAL_UNEXPECTED_TYPE, "113");
    char small[16];
    size_t needed = 0;
    CHECK(migseal_verifier_message(v, small, sizeof small, &needed) == MIGSEAL_ABI_BUFFER_TOO_SMALL &&
              needed > sizeof small && strlen(small) == sizeof small - 1 &&
              strcmp(small + sizeof small - 4, "...") == 0,
          "cut message: %s", small);
    CHECK(migseal_verifier_message(v, small, 0, &needed) == MIGSEAL_ABI_BUFFER_TOO_SMALL, "cap 0");

    CHECK(migseal_verifier_drop(v) == MIGSEAL_OK, "drop");
    CHECK(migseal_verifier_drop(v) == MIGSEAL_ABI_BAD_STATE, "double drop");
    CHECK(migseal_verifier_advance(v, p, dev, &byte, 1, &step) == MIGSEAL_ABI_BAD_STATE, "use after drop");

    /* An image that ends before its header is incomplete. */
    CHECK(migseal_verifier_init(vraw, vsize, &v) == MIGSEAL_OK, "verifier init again");
    CHECK(migseal_verifier_finish(v, NULL) == MIGSEAL_INCOMPLETE, "finish early: 306");
    CHECK(migseal_verifier_drop(v) == MIGSEAL_OK, "drop again");

    /* A source descriptor is not a destination. */
    migseal_compat_info info;
    CHECK(migseal_compat_check(mtty2, mtty2_len, mtty2, mtty2_len, NULL, 0, &info) == MIGSEAL_ROLE_MISMATCH &&
              info.reason_count == 1,
          "507");
    CHECK(migseal_compat_check(mtty2, mtty2_len, mtty2, mtty2_len, NULL, 3, &info) == MIGSEAL_ABI_NULL_POINTER,
          "reasons NULL");
    CHECK(migseal_compat_check(NULL, 4, mtty2, mtty2_len, NULL, 0, NULL) == MIGSEAL_ABI_NULL_POINTER, "src NULL");

    /* Static strings. */
    CHECK(strcmp(migseal_status_name(MIGSEAL_VENDOR_MISMATCH), "vendor-mismatch") == 0, "name");
    CHECK(strstr(migseal_status_message(MIGSEAL_VENDOR_MISMATCH), "vendor") != NULL, "message");
    CHECK(strcmp(migseal_status_name(12345), "unknown") == 0, "unknown name");
    CHECK(migseal_status_message(-1) != NULL, "unknown message");
    CHECK(strlen(migseal_version()) > 0, "version");

    free(vraw);
    free(draw);
    free(raw);
    free(p);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s PLAN\n", argv[0]);
        return 2;
    }
    FILE *plan = fopen(argv[1], "r");
    if (!plan) {
        perror(argv[1]);
        return 2;
    }
    char line[4096];
    int images = 0, descriptors = 0, compats = 0;
    while (fgets(line, sizeof line, plan)) {
        line[strcspn(line, "\n")] = 0;
        char *save = NULL;
        char *word = strtok_r(line, " ", &save);
        if (!word)
            continue;
        if (strcmp(word, "policy") == 0) {
            read_policy(plan, strtok_r(NULL, " ", &save));
        } else if (strcmp(word, "image") == 0) {
            const char *name = strtok_r(NULL, " ", &save);
            const char *policy = strtok_r(NULL, " ", &save);
            const char *image = strtok_r(NULL, " ", &save);
            const char *device = strtok_r(NULL, " ", &save);
            int expect = atoi(strtok_r(NULL, " ", &save));
            if (!mtty2 && strstr(device, "devices/mtty-2.cbor"))
                mtty2 = read_file(device, &mtty2_len);
            check_image(name, policy, image, device, expect);
            images++;
        } else if (strcmp(word, "descriptor") == 0) {
            const char *name = strtok_r(NULL, " ", &save);
            const char *path = strtok_r(NULL, " ", &save);
            int expect = atoi(strtok_r(NULL, " ", &save));
            if (!mtty2) {
                fprintf(stderr, "plan: descriptors before the mtty-2 device\n");
                return 2;
            }
            check_descriptor(name, path, expect);
            descriptors++;
        } else if (strcmp(word, "compat") == 0) {
            const char *src = strtok_r(NULL, " ", &save);
            const char *dst = strtok_r(NULL, " ", &save);
            int first = atoi(strtok_r(NULL, " ", &save));
            size_t count = (size_t)atoi(strtok_r(NULL, " ", &save));
            const char *version = strtok_r(NULL, " ", &save);
            check_compat(src, dst, first, count, version);
            compats++;
        } else if (strcmp(word, "fillkey") == 0 && n_fill < 17) {
            size_t len;
            if (unhex(strtok_r(NULL, " ", &save), fill_keys[n_fill], 32, &len) || len != 32)
                return 2;
            n_fill++;
        } else if (strcmp(word, "jsonpolicy") == 0) {
            const char *file = strtok_r(NULL, " ", &save);
            int load = atoi(strtok_r(NULL, " ", &save));
            const char *image = strtok_r(NULL, " ", &save);
            const char *device = strtok_r(NULL, " ", &save);
            int expect = atoi(strtok_r(NULL, " ", &save));
            check_json_policy(file, load, image, device, expect);
        } else if (strcmp(word, "badpoint") == 0) {
            size_t len;
            if (unhex(strtok_r(NULL, " ", &save), bad_point, 32, &len) || len != 32)
                return 2;
        }
    }
    fclose(plan);
    if (!mtty2) {
        fprintf(stderr, "plan: no mtty-2 device\n");
        return 2;
    }
    check_misuse();
    CHECK(images > 40 && descriptors > 5 && compats > 10, "plan too small: %d images, %d descriptors, %d pairs",
          images, descriptors, compats);
    for (int i = 0; i < n_policies; i++)
        free(policies[i].policy);
    free(mtty2);
    printf("verify_vectors: %d images, %d descriptors, %d compatibility pairs through the C ABI\n", images,
           descriptors, compats);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
