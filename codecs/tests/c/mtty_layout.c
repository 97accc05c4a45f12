/*
 * Independent fixtures for the mtty codec: the C compiler lays out the
 * driver's own structs and this program writes their bytes, so the Rust
 * test compares the codec against the C layout, not against itself.
 *
 * Source of the layout: samples/vfio-mdev/mtty.c in the Linux kernel
 * (6.7+, the version with live migration: struct rxtx, struct serial_port,
 * struct mtty_data, MTTY_MAGIC, MTTY_MAJOR_VER, MTTY_MINOR_VER), with the
 * kernel's u8/u16/u32/u64 as the stdint types.
 *
 * Usage: mtty_layout busy2 | reset1 | layout
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

#define MAX_FIFO_SIZE   16

/*
 * The driver's migration structs, declared field for field (same names,
 * types, order) as samples/vfio-mdev/mtty.c declares them; the compiler
 * decides sizes, padding and offsets.
 */
struct rxtx {
	u8 fifo[MAX_FIFO_SIZE];
	u8 head, tail;
	u8 count;
};

struct serial_port {
	u8 uart_reg[8];
	struct rxtx rxtx;
	bool dlab;
	bool overrun;
	u16 divisor;
	u8 fcr;
	u8 max_fifo_size;
	u8 intr_trigger_level;
};

#define MTTY_MAGIC 0x7e9d09898c3e2c4eULL
#define MTTY_MAJOR_VER 1
#define MTTY_MINOR_VER 0

struct mtty_data {
	u64 magic;
	u32 major_ver;
	u32 minor_ver;
	u32 nr_ports;
	u32 flags;
	struct serial_port ports[2];
};

_Static_assert(sizeof(struct serial_port) == 36, "serial_port is 36 bytes on x86_64");
_Static_assert(offsetof(struct mtty_data, ports) == 24, "header is 24 bytes");
_Static_assert(offsetof(struct serial_port, divisor) == 30, "one padding byte before divisor");

/* What mtty_save_device_data + mtty_save_state put in the file. */
static void header(struct mtty_data *d, u32 nr_ports)
{
	memset(d, 0, sizeof(*d)); /* kzalloc: padding is zero */
	d->magic = MTTY_MAGIC;
	d->major_ver = MTTY_MAJOR_VER;
	d->minor_ver = MTTY_MINOR_VER;
	d->nr_ports = nr_ports;
}

static void emit(const struct mtty_data *d)
{
	size_t n = offsetof(struct mtty_data, ports) + d->nr_ports * sizeof(struct serial_port);
	fwrite(d, 1, n, stdout);
}

int main(int argc, char **argv)
{
	struct mtty_data d;
	const char *which = argc > 1 ? argv[1] : "";

	if (strcmp(which, "layout") == 0) {
		printf("%zu %zu %zu %zu %zu %zu %zu %zu\n", sizeof(struct serial_port),
		       offsetof(struct serial_port, rxtx), offsetof(struct serial_port, dlab),
		       offsetof(struct serial_port, overrun), offsetof(struct serial_port, divisor),
		       offsetof(struct serial_port, fcr), offsetof(struct serial_port, max_fifo_size),
		       offsetof(struct serial_port, intr_trigger_level));
		return 0;
	}
	if (strcmp(which, "reset1") == 0) {
		/* mtty-1 straight after mtty_init_dev: only max_fifo_size set. */
		header(&d, 1);
		d.ports[0].max_fifo_size = MAX_FIFO_SIZE;
		emit(&d);
		return 0;
	}
	if (strcmp(which, "busy2") == 0) {
		header(&d, 2);
		/* Port 0: 8N1, FIFO on, three bytes waiting ("lo!" of "hello!"). */
		struct serial_port *p = &d.ports[0];
		p->uart_reg[1] = 0x05;  /* IER: RDI | RLSI */
		p->uart_reg[3] = 0x03;  /* LCR: 8 data bits */
		p->uart_reg[4] = 0x0b;  /* MCR: DTR | RTS | OUT2 */
		p->uart_reg[7] = 0x5a;  /* SCR */
		memcpy(p->rxtx.fifo, "hello!", 6);
		p->rxtx.tail = 3;
		p->rxtx.head = 6;
		p->rxtx.count = 3;
		p->divisor = 12;        /* 9600 baud */
		p->fcr = 0xc1;          /* enable FIFO, trigger 14 */
		p->max_fifo_size = 16;
		p->intr_trigger_level = 1;
		/* Port 1: divisor latch open, FIFO full and wrapped, overrun. */
		p = &d.ports[1];
		p->uart_reg[3] = 0x83;  /* LCR: DLAB | 8 data bits */
		for (int i = 0; i < MAX_FIFO_SIZE; i++)
			p->rxtx.fifo[i] = (u8)(0xa0 + i);
		p->rxtx.head = 7;
		p->rxtx.tail = 7;
		p->rxtx.count = 16;
		p->dlab = true;
		p->overrun = true;
		p->divisor = 0x0180;
		p->fcr = 0x01;
		p->max_fifo_size = 16;
		p->intr_trigger_level = 1;
		emit(&d);
		return 0;
	}
	fprintf(stderr, "usage: mtty_layout busy2|reset1|layout\n");
	return 2;
}
