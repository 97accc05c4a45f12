// SPDX-License-Identifier: Apache-2.0 OR MIT
/*
 * migtest: drives VFIO migrations between mtty mdevs through the VFIO
 * migration uAPI v2 (legacy container/group path) and prints one verdict
 * line per scenario: "verdict: PASS name: detail" or "verdict: FAIL ...".
 * `cargo xtask kernel` boots it in an initramfs and counts the lines.
 *
 *   migtest patched SRC2 DST2 SRC1 DIR   the patched mtty (migseal)
 *   migtest stock SRC2 DST2              the stock mtty (the contrast)
 *
 * SRC2/DST2 are mtty-2 mdev UUIDs, SRC1 an mtty-1; DIR holds images the
 * host sealed with `migseal seal` (see xtask/src/kernel.rs).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/vfio.h>

#define UART_RX 0
#define UART_TX 0
#define UART_IER 1
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_SCR 7
#define IMG_MAX 8192

static int container = -1, iommu_set, passed, failed;

static void verdict(int ok, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#include <stdarg.h>
static void verdict(int ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	printf("verdict: %s %s: ", ok ? "PASS" : "FAIL", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	ok ? passed++ : failed++;
}

struct dev {
	int fd;
	off_t bar[2];
	const char *uuid;
};

static int open_dev(struct dev *d, const char *uuid)
{
	char path[256], link[256];
	struct vfio_group_status gs = { .argsz = sizeof(gs) };
	ssize_t n;
	int group, i;

	d->uuid = uuid;
	if (container < 0) {
		container = open("/dev/vfio/vfio", O_RDWR);
		if (container < 0 ||
		    ioctl(container, VFIO_GET_API_VERSION) != VFIO_API_VERSION ||
		    !ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU))
			return -1;
	}
	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/iommu_group", uuid);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -1;
	link[n] = 0;
	snprintf(path, sizeof(path), "/dev/vfio/%s", strrchr(link, '/') + 1);
	group = open(path, O_RDWR);
	if (group < 0 || ioctl(group, VFIO_GROUP_GET_STATUS, &gs) ||
	    !(gs.flags & VFIO_GROUP_FLAGS_VIABLE) ||
	    ioctl(group, VFIO_GROUP_SET_CONTAINER, &container))
		return -1;
	if (!iommu_set) {
		if (ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
			return -1;
		iommu_set = 1;
	}
	d->fd = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, uuid);
	if (d->fd < 0)
		return -1;
	for (i = 0; i < 2; i++) {
		struct vfio_region_info ri = { .argsz = sizeof(ri), .index = i };

		if (ioctl(d->fd, VFIO_DEVICE_GET_REGION_INFO, &ri))
			return -1;
		d->bar[i] = ri.offset;
	}
	return 0;
}

static void reg_write(struct dev *d, int port, int reg, unsigned char v)
{
	if (pwrite(d->fd, &v, 1, d->bar[port] + reg) != 1)
		perror("pwrite");
}

static unsigned char reg_read(struct dev *d, int port, int reg)
{
	unsigned char v = 0;

	if (pread(d->fd, &v, 1, d->bar[port] + reg) != 1)
		perror("pread");
	return v;
}

/* The registers a read does not change, of both ports. */
struct regs {
	unsigned char r[2][5];
};

static void snapshot(struct dev *d, struct regs *s)
{
	static const int which[5] = { UART_IER, UART_LCR, UART_MCR, UART_LSR, UART_SCR };
	int p, i;

	for (p = 0; p < 2; p++)
		for (i = 0; i < 5; i++)
			s->r[p][i] = reg_read(d, p, which[i]);
}

static const char *show(const struct regs *s)
{
	static char buf[128];

	snprintf(buf, sizeof(buf), "IER/LCR/MCR/LSR/SCR %02x %02x %02x %02x %02x | %02x %02x %02x %02x %02x",
		 s->r[0][0], s->r[0][1], s->r[0][2], s->r[0][3], s->r[0][4],
		 s->r[1][0], s->r[1][1], s->r[1][2], s->r[1][3], s->r[1][4]);
	return buf;
}

/* Sets the migration state; returns 0 or -errno, *data_fd when one comes. */
static int set_state(struct dev *d, __u32 state, int *data_fd)
{
	struct {
		struct vfio_device_feature f;
		struct vfio_device_feature_mig_state s;
	} __attribute__((packed)) buf;

	memset(&buf, 0, sizeof(buf));
	buf.f.argsz = sizeof(buf);
	buf.f.flags = VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE;
	buf.s.device_state = state;
	buf.s.data_fd = -1;
	if (ioctl(d->fd, VFIO_DEVICE_FEATURE, &buf))
		return -errno;
	if (data_fd)
		*data_fd = buf.s.data_fd;
	else if (buf.s.data_fd >= 0)
		close(buf.s.data_fd);
	return 0;
}

/* Source side: the migration stream, as userspace (QEMU) sees it. */
static ssize_t save(struct dev *d, unsigned char *img, size_t cap)
{
	int fd = -1;
	ssize_t n, len = 0;

	if (set_state(d, VFIO_DEVICE_STATE_STOP, NULL) ||
	    set_state(d, VFIO_DEVICE_STATE_STOP_COPY, &fd) || fd < 0)
		return -1;
	while ((n = read(fd, img + len, cap - len)) > 0)
		len += n;
	close(fd);
	if (n < 0 || set_state(d, VFIO_DEVICE_STATE_STOP, NULL) ||
	    set_state(d, VFIO_DEVICE_STATE_RUNNING, NULL))
		return -1;
	return len;
}

/* What a restore did: 0 loaded; else where it was refused and the errno. */
struct outcome {
	const char *where;	/* "write", "RESUMING->STOP", "RUNNING->RESUMING" */
	int err;
};

/* Destination side: writes img in fragments of `frag` bytes. */
static struct outcome restore(struct dev *d, const unsigned char *img,
			      size_t len, size_t frag)
{
	struct outcome o = { NULL, 0 };
	int fd = -1, r;
	size_t off = 0;

	if (set_state(d, VFIO_DEVICE_STATE_STOP, NULL))
		return (struct outcome){ "RUNNING->STOP", errno };
	r = set_state(d, VFIO_DEVICE_STATE_RESUMING, &fd);
	if (r || fd < 0) {
		o = (struct outcome){ "STOP->RESUMING", -r };
		goto back;
	}
	while (off < len) {
		size_t n = len - off < frag ? len - off : frag;
		ssize_t w = write(fd, img + off, n);

		if (w < 0) {
			o = (struct outcome){ "write", errno };
			goto back;
		}
		off += w;
	}
	r = set_state(d, VFIO_DEVICE_STATE_STOP, NULL);
	if (r) {
		o = (struct outcome){ "RESUMING->STOP", -r };
		goto back;
	}
	close(fd);
	set_state(d, VFIO_DEVICE_STATE_RUNNING, NULL);
	return o;
back:
	/* A refused device is stuck in RESUMING: reset returns it to RUNNING. */
	ioctl(d->fd, VFIO_DEVICE_RESET);
	if (fd >= 0)
		close(fd);
	return o;
}

static size_t load_file(const char *dir, const char *name, unsigned char *buf)
{
	char path[512];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	n = read(fd, buf, IMG_MAX);
	close(fd);
	return n > 0 ? (size_t)n : 0;
}

/* A refusal: the spec's errno at a write or at RESUMING->STOP, registers kept. */
static void refused(struct dev *dst, const char *name, const unsigned char *img,
		    size_t len, int want_errno)
{
	struct regs before, after;
	struct outcome o;

	if (!len) {
		verdict(0, name, "no image");
		return;
	}
	snapshot(dst, &before);
	o = restore(dst, img, len, len);
	snapshot(dst, &after);
	if (!o.where)
		verdict(0, name, "LOADED (%zu bytes): registers now %s", len, show(&after));
	else
		verdict(o.err == want_errno && !memcmp(&before, &after, sizeof(before)) &&
			(!strcmp(o.where, "write") || !strcmp(o.where, "RESUMING->STOP")),
			name, "refused at %s with errno %d (%s; want %d), destination registers %s %s",
			o.where, o.err, strerror(o.err), want_errno,
			memcmp(&before, &after, sizeof(before)) ? "CHANGED to" : "unchanged:",
			show(&after));
}

static void dirty(struct dev *d)
{
	const char *a = "migseal!", *b = "xy";

	reg_write(d, 0, UART_LCR, 0x03);
	reg_write(d, 0, UART_MCR, 0x0b);
	reg_write(d, 0, UART_IER, 0x01);
	reg_write(d, 0, UART_SCR, 0xa7);
	while (*a)
		reg_write(d, 0, UART_TX, *a++);
	reg_write(d, 1, UART_SCR, 0x3c);
	reg_write(d, 1, UART_LCR, 0x1b);
	while (*b)
		reg_write(d, 1, UART_TX, *b++);
}

static int patched(const char *src2, const char *dst2, const char *src1, const char *dir)
{
	static unsigned char good[IMG_MAX], img[IMG_MAX], one[IMG_MAX];
	struct dev a, b, c;
	struct regs ra, rb;
	struct outcome o;
	ssize_t len, len1;
	char rx[2][9] = { { 0 } };
	int i;

	if (open_dev(&a, src2) || open_dev(&b, dst2) || open_dev(&c, src1)) {
		verdict(0, "setup", "cannot open the mdevs: %s", strerror(errno));
		return 1;
	}
	dirty(&a);
	snapshot(&a, &ra);
	/* The destination has a state of its own, which refusals must keep. */
	reg_write(&b, 0, UART_SCR, 0x5a);
	reg_write(&b, 0, UART_TX, 'B');

	len = save(&a, good, sizeof(good));
	verdict(len > 150 && good[0] == 0x82, "source-seals",
		"STOP_COPY handed out a %zd-byte sealed image (first byte %02x: a CBOR array, not mtty's magic)",
		len, len > 0 ? good[0] : 0);
	if (len <= 150)
		return 1;
	snapshot(&a, &rb);
	verdict(!memcmp(&ra, &rb, sizeof(ra)), "source-unchanged", "%s", show(&rb));

	/* Refusals. The payload is the 96 bytes before the 154-byte seal. */
	memcpy(img, good, len);
	img[len - 154 - 96 + 24 + 8] ^= 0x01;	/* port 0, first FIFO byte */
	refused(&b, "refuse-payload-bit-flip", img, len, 129);
	memcpy(img, good, len);
	img[len - 1] ^= 0x01;			/* last signature byte */
	refused(&b, "refuse-seal-bit-flip", img, len, 129);
	memcpy(img, good, len);
	refused(&b, "refuse-truncated", img, len / 2, 74);
	len1 = save(&c, one, sizeof(one));
	refused(&b, "refuse-mtty-1-into-mtty-2", one, len1 > 0 ? len1 : 0, 95);
	refused(&b, "refuse-untrusted-key", img, load_file(dir, "untrusted.migseal", img), 129);
	refused(&b, "refuse-cross-vendor", img, load_file(dir, "cross-vendor.migseal", img), 95);
	refused(&b, "refuse-rollback", img, load_file(dir, "rollback.migseal", img), 1);
	refused(&b, "refuse-replay-other-session", img, load_file(dir, "other-session.migseal", img), 1);
	refused(&b, "refuse-raw-unsealed-stream", img, load_file(dir, "raw-stock-stream.bin", img), 74);
	refused(&b, "refuse-codec-fifo-head-200", img, load_file(dir, "fifo-head-200.migseal", img), 74);

	/* A write in 1-byte fragments verifies and loads. */
	o = restore(&b, good, len, 1);
	snapshot(&b, &rb);
	verdict(!o.where && !memcmp(&ra, &rb, sizeof(ra)), "one-byte-fragments",
		"%s%s%s, destination registers %s", o.where ? "refused at " : "loaded",
		o.where ? o.where : "", o.where ? strerror(o.err) : "", show(&rb));

	/* The good migration: registers and FIFO contents equal the source's. */
	o = restore(&b, good, len, len);
	snapshot(&b, &rb);
	for (i = 0; i < 8; i++)
		rx[0][i] = reg_read(&b, 0, UART_RX);
	for (i = 0; i < 2; i++)
		rx[1][i] = reg_read(&b, 1, UART_RX);
	verdict(!o.where && !memcmp(&ra, &rb, sizeof(ra)) && !strcmp(rx[0], "migseal!") &&
		!strcmp(rx[1], "xy"), "good-migration",
		"%s; registers %s (source %s); FIFOs \"%s\" \"%s\"",
		o.where ? "REFUSED" : "loaded", show(&rb), show(&ra), rx[0], rx[1]);
	return 0;
}

static int stock(const char *src2, const char *dst2)
{
	static unsigned char img[IMG_MAX];
	struct dev a, b;
	ssize_t len, w = -1;
	int fd = -1, werr = 0, stop = -1;
	unsigned char scr;

	if (open_dev(&a, src2) || open_dev(&b, dst2)) {
		verdict(0, "stock-setup", "cannot open the mdevs: %s", strerror(errno));
		return 1;
	}
	reg_write(&a, 0, UART_SCR, 0x99);
	reg_write(&b, 0, UART_SCR, 0x5a);
	len = save(&a, img, sizeof(img));
	img[0] ^= 0xff;				/* break the magic */
	if (len > 0 && !set_state(&b, VFIO_DEVICE_STATE_STOP, NULL) &&
	    !set_state(&b, VFIO_DEVICE_STATE_RESUMING, &fd) && fd >= 0) {
		w = write(fd, img, len);
		werr = w < 0 ? errno : 0;
		/* What a careless VMM does next: carry on. */
		stop = set_state(&b, VFIO_DEVICE_STATE_STOP, NULL);
		close(fd);
		set_state(&b, VFIO_DEVICE_STATE_RUNNING, NULL);
	}
	scr = reg_read(&b, 0, UART_SCR);
	/* The contrast: the stock driver loads what it was told was bad. */
	verdict(len == 96 && werr == EFAULT && stop == 0 && scr == 0x99,
		"stock-mtty-loads-broken-magic",
		"stock stream of %zd bytes with a broken magic: write() failed with %s, then RESUMING->STOP %s; destination SCR %02x (source planted 99, destination had 5a)",
		len, werr ? strerror(werr) : "no error", stop ? strerror(-stop) : "succeeded", scr);
	return 0;
}

int main(int argc, char **argv)
{
	int r = 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 6 && !strcmp(argv[1], "patched"))
		r = patched(argv[2], argv[3], argv[4], argv[5]);
	else if (argc == 4 && !strcmp(argv[1], "stock"))
		r = stock(argv[2], argv[3]);
	else
		fprintf(stderr, "usage: migtest patched SRC2 DST2 SRC1 DIR | stock SRC2 DST2\n");
	printf("migtest: %d passed, %d failed\n", passed, failed);
	return r || failed;
}
