/*
 * fuzz_csv.c - libFuzzer harness for the streaming CSV reader (lib/csv.h).
 *
 * The first byte picks the options (delimiter, encoding, replace_invalid,
 * a tiny block size so records straddle reads); the rest is the file.
 * Every record read is checked against the promises of csv.h: fields are
 * NUL-terminated at len with no NUL inside, valid UTF-8, and line numbers
 * never go backwards. Each field is also written back with the writer.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int memfd = -1;

static int input_fd(const uint8_t *data, size_t size)
{
	if (memfd < 0) {
		memfd = memfd_create("fuzz-csv", 0);
		if (memfd < 0)
			abort();
	}
	if (ftruncate(memfd, 0) != 0 || lseek(memfd, 0, SEEK_SET) != 0)
		abort();
	size_t off = 0;
	while (off < size) {
		ssize_t w = write(memfd, data + off, size - off);
		if (w <= 0)
			abort();
		off += (size_t)w;
	}
	if (lseek(memfd, 0, SEEK_SET) != 0)
		abort();
	return memfd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	static const char delims[] = { 0, ',', ';', '\t', '|' };
	static const char *const encs[] = { NULL, "windows-1252", "utf-16le", "latin1" };
	static const size_t blocks[] = { 0, 1, 2, 3, 7, 64 };
	uint8_t sel = data[0];
	struct csv_opts o = { 0 };
	o.delim = delims[sel % ARRAY_LEN(delims)];
	o.replace_invalid = (sel >> 3) & 1;
	o.encoding = encs[(sel >> 4) & 3];
	o.block_size = blocks[((sel >> 6) & 3) + ((sel & 1) ? 2 : 0)];
	o.max_field = 4096;
	o.max_fields = 512;
	o.max_record = 16384;
	data++;
	size--;

	struct lerr err = { 0 };
	struct csv_reader *r = csv_open_fd(input_fd(data, size), &o, &err);
	if (!r)
		return 0;
	struct csv_rec rec;
	uint64_t last_line = 0;
	int rc;
	struct sb out = SB_INIT;
	while ((rc = csv_next(r, &rec, &err)) == 1) {
		if (rec.n < 1 || rec.line < last_line)
			abort();
		last_line = rec.line;
		for (size_t i = 0; i < rec.n; i++) {
			const struct csv_field *f = &rec.f[i];
			size_t bad;
			if (f->s[f->len] != '\0' || strlen(f->s) != f->len)
				abort();
			if (!utf8_valid(f->s, f->len, &bad))
				abort();
			csv_write_field(&out, f->s, csv_delimiter(r), (i & 1) != 0);
		}
		sb_reset(&out);
	}
	if (rc != 0 && (err.code == 0 || err.msg[0] == '\0'))
		abort();
	/* sticky errors */
	if (rc != 0 && csv_next(r, &rec, &err) != rc)
		abort();
	sb_free(&out);
	csv_close(r);
	return 0;
}
