/* unit.c - per-unit data: checking [unit], the counter and CSV serial
 * sources, the unit command's job and what it wrote (see unit.h). */
#include "autoconf.h"

#include "unit.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "config.h"
#include "csv.h"
#include "files.h"
#include "firmware.h"
#include "path.h"
#include "sha256.h"
#include "str.h"
#include "text.h"
#include "xalloc.h"

bool unit_enabled(const struct config *cfg)
{
	return cfg->unit_command && *cfg->unit_command;
}

/* The width of a "%d" / "%0Nd" at s (past the '%'), its length in *len; -1 if none. */
static int conversion(const char *s, size_t *len)
{
	int width = 0;
	size_t i = 0;

	if (s[0] == '0') {
		i = 1;
		while (isdigit((unsigned char)s[i]) && i < 3)
			width = width * 10 + (s[i++] - '0');
		if (i == 1)
			return -1;
	}
	if (s[i] != 'd' || width >= 20)
		return -1;
	*len = i + 1;
	return width;
}

int unit_counter_parse(const char *fmt, struct unit_counter *c, struct strbuf *err)
{
	struct strbuf part = STRBUF_INIT;
	int found = 0;

	memset(c, 0, sizeof *c);
	for (const char *s = fmt; *s; s++) {
		size_t len;
		int w;

		if (*s != '%') {
			strbuf_addch(&part, *s);
		} else if (s[1] == '%') {
			strbuf_addch(&part, '%');
			s++;
		} else if ((w = conversion(s + 1, &len)) >= 0 && !found++) {
			c->prefix = strbuf_detach(&part);
			c->width = w;
			s += len;
		} else {
			found = 2;
			break;
		}
	}
	if (found != 1) {
		strbuf_release(&part);
		unit_counter_release(c);
		strbuf_addf(err, "[unit] serials: 'counter:%s' needs exactly one %%d or %%0Nd "
				 "(e.g. counter:SN-%%06d; %%%% is a '%%')", fmt);
		return -EINVAL;
	}
	c->suffix = strbuf_detach(&part);
	/* the widest value (19 digits) must fit a serial */
	if (strlen(c->prefix) + strlen(c->suffix) + (c->width > 19 ? (size_t)c->width : 19) >
	    UNIT_SERIAL_MAX) {
		strbuf_addf(err, "[unit] serials: 'counter:%s' makes serials longer than %d bytes",
			    fmt, UNIT_SERIAL_MAX);
		unit_counter_release(c);
		return -EINVAL;
	}
	return 0;
}

void unit_counter_format(const struct unit_counter *c, long long n, struct strbuf *out)
{
	strbuf_addf(out, "%s%0*lld%s", c->prefix, c->width, n, c->suffix);
}

void unit_counter_release(struct unit_counter *c)
{
	free(c->prefix);
	free(c->suffix);
	memset(c, 0, sizeof *c);
}

void unit_csv_release(struct unit_csv *csv)
{
	strvec_release(&csv->names);
	for (size_t i = 0; i < csv->n; i++)
		strvec_release(&csv->rows[i]);
	free(csv->rows);
	memset(csv, 0, sizeof *csv);
}

/* The header: names, and the serial column. */
static int csv_header(struct unit_csv *csv, const char *path, struct strbuf *err)
{
	for (size_t i = 0; i < csv->names.n; i++) {
		if (!strcasecmp(csv->names.v[i], "serial")) {
			csv->serial_col = i;
			return 0;
		}
	}
	strbuf_addf(err, "[unit] serials: '%s' has no 'serial' column in its header line", path);
	return -EINVAL;
}

/* Add one row (padded to the header's width) unless it is blank. */
static int csv_add(struct unit_csv *csv, struct strvec *row, const char *path, size_t line,
		   struct strbuf *err)
{
	if (row->n == 1 && !*row->v[0]) {
		strvec_release(row);
		return 0;
	}
	if (row->n > csv->names.n) {
		strbuf_addf(err, "[unit] serials: %s:%zu: %zu fields, the header names %zu", path,
			    line, row->n, csv->names.n);
		strvec_release(row);
		return -EINVAL;
	}
	while (row->n < csv->names.n)
		strvec_push(row, "");
	if (strlen(row->v[csv->serial_col]) > UNIT_SERIAL_MAX) {
		strbuf_addf(err, "[unit] serials: %s:%zu: a serial longer than %d bytes", path, line,
			    UNIT_SERIAL_MAX);
		strvec_release(row);
		return -EINVAL;
	}
	csv->rows = xrealloc(csv->rows, (csv->n + 1) * sizeof *csv->rows);
	csv->rows[csv->n++] = *row;
	strvec_init(row);
	return 0;
}

/* Parse text (path's contents) into csv. */
static int csv_parse(struct unit_csv *csv, const struct strbuf *text, const char *path,
		     struct strbuf *err)
{
	const char *p = text->buf, *end = text->buf + text->len;
	struct strvec row = STRVEC_INIT;
	size_t line = 1;
	int r;

	if (end - p >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
		p += 3;
	r = csv_read_row(&p, end, &csv->names);
	if (r <= 0) {
		strbuf_addf(err, "[unit] serials: '%s' is %s", path,
			    r ? "not CSV (a quote left open)" : "empty (it needs a header line)");
		return -EINVAL;
	}
	r = csv_header(csv, path, err);
	while (!r && (r = csv_read_row(&p, end, &row)) > 0)
		r = csv_add(csv, &row, path, ++line, err);
	if (r < 0 && !err->len)
		strbuf_addf(err, "[unit] serials: %s: a quote left open after line %zu", path, line);
	strvec_release(&row);
	return r < 0 ? r : 0;
}

int unit_csv_load(const char *path, struct unit_csv *csv, struct strbuf *err)
{
	struct strbuf text = STRBUF_INIT;
	int r;

	memset(csv, 0, sizeof *csv);
	strvec_init(&csv->names);
	r = read_file(path, &text);
	if (r < 0)
		strbuf_addf(err, "[unit] serials: cannot read '%s': %s", path, strerror(-r));
	else
		r = csv_parse(csv, &text, path, err);
	strbuf_release(&text);
	if (r < 0)
		unit_csv_release(csv);
	return r;
}

const struct strvec *unit_csv_find(const struct unit_csv *csv, const char *s)
{
	for (size_t i = 0; i < csv->n; i++)
		if (!strcmp(csv->rows[i].v[csv->serial_col], s))
			return &csv->rows[i];
	return NULL;
}

void unit_env_name(const char *name, struct strbuf *out)
{
	strbuf_addstr(out, "FLASHBAY_");
	for (const char *s = name; *s; s++) {
		int c = toupper((unsigned char)*s);

		strbuf_addch(out, (isupper(c) || isdigit(c)) && !((unsigned char)*s & 0x80) ? c : '_');
	}
}

/* The serials source: a counter format or a CSV with a serial column. */
static int check_serials(const char *src, struct strbuf *err)
{
	if (!src || !*src) {
		strbuf_addstr(err, "[unit] serials: not set (counter:PREFIX-%06d or a CSV file of serials)");
		return -EINVAL;
	}
	if (str_starts_with(src, "counter:")) {
		struct unit_counter c;
		int r = unit_counter_parse(src + 8, &c, err);

		unit_counter_release(&c);
		return r;
	} else {
		struct unit_csv csv;
		int r = unit_csv_load(src, &csv, err);

		unit_csv_release(&csv);
		return r;
	}
}

/* The command's program: an executable file. */
static int check_command(const char *cmd, struct strbuf *err)
{
	struct strvec w = STRVEC_INIT;
	char *found;

	strvec_split(&w, cmd, " \t");
	found = w.n ? path_which(w.v[0]) : NULL;
	if (!found)
		strbuf_addf(err, "[unit] command: '%s' is not an executable file%s", w.n ? w.v[0] : "",
			    w.n && !strchr(w.v[0], '/') ? " on PATH" : "");
	free(found);
	strvec_release(&w);
	return found ? 0 : -EINVAL;
}

/* The offset: given, and clear of the firmware's images (sector-wise). */
static int check_offset(const struct config *cfg, const struct firmware *fw, struct strbuf *err,
			struct strbuf *warn)
{
	uint32_t off = cfg->unit_offset, sector = off & ~0xfffu;

	if (off == UNIT_OFFSET_UNSET) {
		strbuf_addstr(err, "[unit] offset: not set (where the unit image goes, e.g. 0x9000)");
		return -EINVAL;
	}
	if (off & 0xfff)
		strbuf_addf(warn, "[unit] offset 0x%x is not on a 4 KiB flash sector (esptool erases the whole sector around it)\n",
			    off);
	for (size_t i = 0; fw && i < fw->n; i++) {
		const struct firmware_image *im = &fw->images[i];
		uint64_t end = ((uint64_t)im->offset + im->size + 0xfff) & ~(uint64_t)0xfff;

		if (sector < end && (uint64_t)sector + cfg->unit_max_size > (im->offset & ~0xfffu)) {
			strbuf_addf(err, "[unit] offset 0x%x (max_size %u) overlaps the image %s at 0x%x",
				    off, cfg->unit_max_size, path_basename(im->path), im->offset);
			return -EINVAL;
		}
	}
	return 0;
}

int unit_config_check(const struct config *cfg, const struct firmware *fw, bool history,
		      struct strbuf *err, struct strbuf *warn)
{
	int r;

	if (!unit_enabled(cfg))
		return 0;
	r = check_command(cfg->unit_command, err);
	if (!r)
		r = check_offset(cfg, fw, err, warn);
	if (!r)
		r = check_serials(cfg->unit_serials, err);
	if (!r && !history) {
		strbuf_addstr(err, "[unit] needs the history database: serials are handed out there (no --no-history)");
		r = -EINVAL;
	}
	return r;
}

void unit_command_spec(const struct config *cfg, const struct unit_request *r,
		       struct job_spec *spec)
{
	struct strbuf name = STRBUF_INIT;

	strvec_split(&spec->argv, cfg->unit_command, " \t");
	strvec_pushf(&spec->env, "FLASHBAY_MAC=%s", r->mac ? r->mac : "");
	strvec_pushf(&spec->env, "FLASHBAY_CHIP=%s", r->chip ? r->chip : "");
	strvec_pushf(&spec->env, "FLASHBAY_SERIAL=%s", r->serial);
	strvec_pushf(&spec->env, "FLASHBAY_SLOT=%u", r->slot);
	strvec_pushf(&spec->env, "FLASHBAY_STATION=%s", r->station ? r->station : "");
	strvec_pushf(&spec->env, "FLASHBAY_OUT=%s", r->out);
	for (size_t i = 0; r->csv && r->row && i < r->csv->names.n; i++) {
		if (i == r->csv->serial_col)
			continue;
		strbuf_reset(&name);
		unit_env_name(r->csv->names.v[i], &name);
		strvec_pushf(&spec->env, "%s=%s", name.buf, r->row->v[i]);
	}
	strbuf_release(&name);
	spec->timeout_ms = cfg->unit_timeout_ms;
	spec->grace_ms = 1000;
}

int unit_check_output(const char *path, uint64_t max, char sha[65], struct strbuf *err)
{
	struct stat st;

	if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
		strbuf_addstr(err, "the unit command wrote no file at $FLASHBAY_OUT");
		return -ENOENT;
	}
	if (st.st_size == 0) {
		strbuf_addstr(err, "the unit command wrote an empty file");
		return -ENODATA;
	}
	if ((uint64_t)st.st_size > max) {
		strbuf_addf(err, "the unit command wrote %lld bytes, more than [unit] max_size (%llu)",
			    (long long)st.st_size, (unsigned long long)max);
		return -EFBIG;
	}
	if (sha256_file(path, sha, NULL) < 0) {
		strbuf_addstr(err, "cannot read what the unit command wrote");
		return -EIO;
	}
	return 0;
}

char *unit_tempdir(struct strbuf *err)
{
	const char *tmp = getenv("TMPDIR");
	char *dir = xasprintf("%s/flashbay-unit-XXXXXX", tmp && *tmp ? tmp : "/tmp");

	if (!mkdtemp(dir)) {
		strbuf_addf(err, "cannot make a folder for the unit image in %s: %s",
			    tmp && *tmp ? tmp : "/tmp", strerror(errno));
		free(dir);
		return NULL;
	}
	return dir;
}

void unit_label_clean(const char *in, char out[UNIT_LABEL_MAX + 1])
{
	const unsigned char *s = (const unsigned char *)in;
	size_t len = strlen(in), o = 0;

	while (len) {
		uint32_t cp;
		size_t n = text_utf8_decode(s, len, &cp);

		if (!n) {
			n = 1;
		} else if (!text_is_dangerous(cp) && !(o == 0 && cp == ' ')) {
			if (o + n > UNIT_LABEL_MAX)
				break;
			memcpy(out + o, s, n);
			o += n;
		}
		s += n;
		len -= n;
	}
	while (o && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
}
