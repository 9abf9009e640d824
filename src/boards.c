/* boards.c - the Klipper board registry: boards.ini read, validated, written atomically. */
#include "autoconf.h"

#include "boards.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "array.h"
#include "files.h"
#include "path.h"
#include "str.h"
#include "xalloc.h"

#define KEY_MAX 64
#define NAME_MAX_LEN 128
#define PATTERN_MAX 256
#define SERIAL_LITERALS_MIN 8

static const char *const method_names[] = { "default", "katapult", "make_flash" };

void boards_init(struct boards *b, const char *path)
{
	memset(b, 0, sizeof *b);
	b->path = xstrdup_or_null(path);
}

/* Free the strings of one board. */
static void board_release(struct board *bd)
{
	free(bd->key);
	free(bd->name);
	free(bd->mcu);
	free(bd->serial_pattern);
	free(bd->klipper_dir);
	free(bd->klipper_dir_path);
	memset(bd, 0, sizeof *bd);
}

void boards_release(struct boards *b)
{
	for (size_t i = 0; i < b->n; i++)
		board_release(&b->v[i]);
	free(b->v);
	free(b->path);
	memset(b, 0, sizeof *b);
}

const char *board_method_name(enum board_method m)
{
	return (unsigned)m < ARRAY_SIZE(method_names) ? method_names[m] : "default";
}

int board_method_from_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(method_names); i++) {
		const char *a = method_names[i], *v = name;

		for (; *a && *v; a++, v++)
			if ((*a == '_' ? '-' : tolower((unsigned char)*a)) !=
			    (*v == '_' ? '-' : tolower((unsigned char)*v)))
				break;
		if (!*a && !*v)
			return (int)i;
	}
	return -1;
}

bool board_key_valid(const char *key, struct strbuf *err)
{
	size_t n = strlen(key);

	if (!n || n > KEY_MAX || !isalnum((unsigned char)key[0]))
		goto bad;
	for (const char *p = key; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
			goto bad;
	return true;
bad:
	if (err)
		strbuf_addf(err, "'%s' is not a valid board key (letters, digits, '-' and '_', "
			    "starting with a letter or digit, at most %d characters)", key, KEY_MAX);
	return false;
}

bool board_mcu_valid(const char *mcu, struct strbuf *err)
{
	size_t n = strlen(mcu);
	bool ok = n > 0 && n < 48;

	for (const char *p = mcu; ok && *p; p++)
		ok = isalnum((unsigned char)*p) || *p == '_' || *p == '-';
	if (!ok && err)
		strbuf_addf(err, "'%s' is not an MCU name (like stm32h723, rp2040, atmega2560, linux)",
			    mcu);
	return ok;
}

bool board_pattern_valid(const char *pattern, struct strbuf *err)
{
	size_t n = strlen(pattern);
	bool ok = n > 0 && n <= PATTERN_MAX && !strchr(pattern, '/');

	for (const char *p = pattern; ok && *p; p++)
		ok = (unsigned char)*p > ' ' && *p != 0x7f && *p != ';' && *p != '#';
	if (!ok && err)
		strbuf_addf(err, "'%s' is not a serial pattern (a glob on the /dev/serial/by-id name, "
			    "e.g. usb-Klipper_stm32h723xx_29001A001151313531383332*; no spaces, '/', ';' or '#')",
			    pattern);
	return ok;
}

bool board_name_valid(const char *name, struct strbuf *err)
{
	size_t n = strlen(name);
	bool ok = n <= NAME_MAX_LEN && (!n || (name[0] != ' ' && name[n - 1] != ' '));

	for (const char *p = name; ok && *p; p++)
		ok = (unsigned char)*p >= ' ' && *p != 0x7f && *p != ';' && *p != '#';
	if (!ok && err)
		strbuf_addf(err, "board name is not valid (at most %d characters, no control "
			    "characters, ';' or '#', no leading or trailing space)", NAME_MAX_LEN);
	return ok;
}

struct board *boards_find(const struct boards *b, const char *key)
{
	for (size_t i = 0; i < b->n; i++)
		if (!strcmp(b->v[i].key, key))
			return &b->v[i];
	return NULL;
}

/* Append an empty board with this key. */
static struct board *push_board(struct boards *b, const char *key, int line)
{
	struct board *bd;

	b->v = xgrow(b->v, &b->alloc, b->n + 1, sizeof *b->v);
	bd = &b->v[b->n++];
	memset(bd, 0, sizeof *bd);
	bd->key = xstrdup(key);
	bd->line = line;
	return bd;
}

/* ------------------------------------------------------------ reading */

/* State while parsing one file. */
struct bparse {
	struct boards *b;
	FILE *f;
	const char *file;
	char *dir;
	int line;
	int errors;
	struct strbuf *err;
	struct board *cur;     /* board of the section being read, NULL if invalid */
	unsigned seen;         /* bit per field of cur already given */
};

static void berr(struct bparse *p, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Report an error at a line. */
static void berr(struct bparse *p, int line, const char *fmt, ...)
{
	va_list ap;

	strbuf_addf(p->err, "%s:%d: ", p->file, line);
	va_start(ap, fmt);
	strbuf_vaddf(p->err, fmt, ap);
	va_end(ap);
	strbuf_addch(p->err, '\n');
	p->errors++;
}

/* A "[section]" line: start a new board (the reader sees headers before inih). */
static void section_line(struct bparse *p, const char *s)
{
	const char *end = strchr(s, ']');
	char *key;
	struct strbuf msg = STRBUF_INIT;

	p->cur = NULL;
	p->seen = 0;
	if (!end)
		return; /* inih reports the syntax error */
	key = xstrndup(s + 1, (size_t)(end - s - 1));
	if (!board_key_valid(key, &msg))
		berr(p, p->line, "%s", msg.buf);
	else if (boards_find(p->b, key))
		berr(p, p->line, "board [%s] defined twice", key);
	else
		p->cur = push_board(p->b, key, p->line);
	strbuf_release(&msg);
	free(key);
}

/* inih line reader: counts lines, refuses over-long ones, watches section headers. */
static char *breader(char *str, int num, void *stream)
{
	struct bparse *p = stream;
	bool too_long;
	const char *s;

	if (!ini_line_reader(str, num, p->f, &p->line, &too_long))
		return NULL;
	if (too_long) {
		berr(p, p->line, "line too long (at most %d characters)", num - 2);
		return str;
	}
	s = str;
	if (p->line == 1 && !strncmp(s, "\xEF\xBB\xBF", 3))
		s += 3;
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '[')
		section_line(p, s);
	return str;
}

enum field { F_NAME, F_MCU, F_PATTERN, F_METHOD, F_DIR };
static const char *const field_names[] = { "name", "mcu", "serial_pattern", "method",
					   "klipper_dir" };

/* klipper_dir: kept as written, and expanded (~, relative to the file's folder). */
static void set_dir(struct board *bd, const char *file_dir, const char *v)
{
	char *e;

	free(bd->klipper_dir);
	free(bd->klipper_dir_path);
	bd->klipper_dir = bd->klipper_dir_path = NULL;
	if (!*v)
		return;
	e = expand_home(v);
	bd->klipper_dir = xstrdup(v);
	bd->klipper_dir_path = e[0] == '/' ? e : path_join(file_dir, e);
	if (e != bd->klipper_dir_path)
		free(e);
}

/* Store one validated field value into bd. */
static void set_field(struct bparse *p, struct board *bd, enum field f, const char *v)
{
	struct strbuf msg = STRBUF_INIT;
	int m;

	switch (f) {
	case F_NAME:
		if (!board_name_valid(v, &msg))
			break;
		free(bd->name);
		bd->name = *v ? xstrdup(v) : NULL;
		break;
	case F_MCU:
		if (!board_mcu_valid(v, &msg))
			break;
		free(bd->mcu);
		bd->mcu = xstrdup(v);
		for (char *c = bd->mcu; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		break;
	case F_PATTERN:
		if (!board_pattern_valid(v, &msg))
			break;
		free(bd->serial_pattern);
		bd->serial_pattern = xstrdup(v);
		break;
	case F_METHOD:
		m = board_method_from_name(v);
		if (m < 0)
			strbuf_addf(&msg, "method '%s' is not one of: katapult, make_flash, default", v);
		else
			bd->method = (enum board_method)m;
		break;
	case F_DIR:
		set_dir(bd, p->dir, v);
		break;
	}
	if (msg.len)
		berr(p, p->line, "[%s] %s", bd->key, msg.buf);
	strbuf_release(&msg);
}

/* inih callback: one name = value. */
static int bhandler(void *user, const char *section, const char *name, const char *value)
{
	struct bparse *p = user;

	if (!*section) {
		berr(p, p->line, "'%s' is outside a [board] section", name);
		return 1;
	}
	if (!p->cur || strcmp(p->cur->key, section))
		return 1; /* an invalid section: already reported */
	for (size_t f = 0; f < ARRAY_SIZE(field_names); f++) {
		if (strcmp(name, field_names[f]))
			continue;
		if (p->seen & (1u << f)) {
			berr(p, p->line, "[%s] '%s' given twice", section, name);
			return 1;
		}
		p->seen |= 1u << f;
		set_field(p, p->cur, (enum field)f, value);
		return 1;
	}
	berr(p, p->line, "[%s] unknown key '%s' (known: name, mcu, serial_pattern, method, klipper_dir)",
	     section, name);
	return 1;
}

/* After parsing: every board needs mcu and serial_pattern. */
static void check_required(struct bparse *p)
{
	for (size_t i = 0; i < p->b->n; i++) {
		const struct board *bd = &p->b->v[i];

		if (!bd->mcu)
			berr(p, bd->line, "[%s] has no mcu (e.g. mcu = stm32h723)", bd->key);
		if (!bd->serial_pattern)
			berr(p, bd->line, "[%s] has no serial_pattern (e.g. serial_pattern = usb-Klipper_stm32h723xx_29001A001151313531383332*)",
			     bd->key);
	}
}

int boards_load(struct boards *b, struct strbuf *err)
{
	struct bparse p = { .b = b, .file = b->path, .err = err };
	int r;

	p.f = fopen(b->path, "re");
	if (!p.f) {
		int e = errno;

		if (e == ENOENT)
			return 0;
		strbuf_addf(err, "cannot read board registry '%s': %s\n", b->path, strerror(e));
		b->loaded_with_errors = true;
		return -e;
	}
	p.dir = path_dirname(b->path);
	r = ini_parse_stream(breader, &p, bhandler, &p);
	if (r > 0)
		berr(&p, r, "syntax error (expected [board-key], name = value, or a ; comment)");
	if (ferror(p.f))
		berr(&p, p.line, "read error: %s", strerror(errno));
	check_required(&p);
	fclose(p.f);
	free(p.dir);
	if (p.errors)
		b->loaded_with_errors = true;
	return p.errors ? -EINVAL : 0;
}

/* ------------------------------------------------------------ writing */

/* The whole file's text. */
static void boards_format(const struct boards *b, struct strbuf *out)
{
	strbuf_addstr(out, "; flashbay board registry: one [key] section per Klipper/Kalico board.\n"
			   "; Written by flashbay (board add/remove); see flashbay(1). Comments are not kept.\n");
	for (size_t i = 0; i < b->n; i++) {
		const struct board *bd = &b->v[i];

		strbuf_addf(out, "\n[%s]\n", bd->key);
		if (bd->name)
			strbuf_addf(out, "name = %s\n", bd->name);
		strbuf_addf(out, "mcu = %s\n", bd->mcu);
		strbuf_addf(out, "serial_pattern = %s\n", bd->serial_pattern);
		if (bd->method != BOARD_METHOD_DEFAULT)
			strbuf_addf(out, "method = %s\n", board_method_name(bd->method));
		if (bd->klipper_dir)
			strbuf_addf(out, "klipper_dir = %s\n", bd->klipper_dir);
	}
}

int boards_save(const struct boards *b, struct strbuf *err)
{
	struct strbuf text = STRBUF_INIT;
	char *dir;
	int r;

	if (b->loaded_with_errors) {
		strbuf_addf(err, "board registry '%s' has errors; fix it by hand first (it is never overwritten while it has errors)\n",
			    b->path);
		return -EPERM;
	}
	dir = path_dirname(b->path);
	r = mkdir_p(dir, 0755);
	free(dir);
	if (!r) {
		boards_format(b, &text);
		r = write_file_atomic(b->path, text.buf, text.len, 0644);
	}
	if (r)
		strbuf_addf(err, "cannot write board registry '%s': %s\n", b->path, strerror(-r));
	strbuf_release(&text);
	return r;
}

int boards_add(struct boards *b, const struct board *nb, struct strbuf *err)
{
	struct board *bd;

	if (!board_key_valid(nb->key, err) || !board_mcu_valid(nb->mcu, err) ||
	    !board_pattern_valid(nb->serial_pattern, err) ||
	    (nb->name && !board_name_valid(nb->name, err)))
		return -EINVAL;
	if (boards_find(b, nb->key)) {
		strbuf_addf(err, "a board named '%s' is already registered", nb->key);
		return -EEXIST;
	}
	bd = push_board(b, nb->key, 0);
	bd->name = nb->name && *nb->name ? xstrdup(nb->name) : NULL;
	bd->mcu = xstrdup(nb->mcu);
	for (char *c = bd->mcu; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	bd->serial_pattern = xstrdup(nb->serial_pattern);
	bd->method = nb->method;
	bd->klipper_dir = xstrdup_or_null(nb->klipper_dir);
	bd->klipper_dir_path = nb->klipper_dir_path ? xstrdup(nb->klipper_dir_path)
			       : nb->klipper_dir ? expand_home(nb->klipper_dir) : NULL;
	return 0;
}

int boards_remove(struct boards *b, const char *key)
{
	struct board *bd = boards_find(b, key);
	size_t i;

	if (!bd)
		return -ENOENT;
	i = (size_t)(bd - b->v);
	board_release(bd);
	memmove(&b->v[i], &b->v[i + 1], (b->n - i - 1) * sizeof *b->v);
	b->n--;
	return 0;
}

/* ------------------------------------------------------------ matching */

/* Length of the "-ifNN" / "-ifNN-portN" tail of a by-id name (0 if none). */
static size_t if_suffix_len(const char *s, size_t n)
{
	for (size_t i = n; i-- > 0;) {
		if (s[i] == '_')
			return 0;
		if (i + 3 <= n && !strncmp(s + i, "-if", 3) && isdigit((unsigned char)s[i + 3]))
			return n - i;
	}
	return 0;
}

int boards_by_id_serial(const char *by_id, char *out, size_t size)
{
	const char *base = path_basename(by_id), *us = strrchr(base, '_');
	size_t n;

	if (!us || !us[1])
		return -EINVAL;
	n = strlen(us + 1);
	n -= if_suffix_len(us + 1, n);
	if (!n || n >= size)
		return -EINVAL;
	memcpy(out, us + 1, n);
	out[n] = '\0';
	return 0;
}

/* Characters of a glob that are literal (not * ? [...]). */
static size_t glob_literals(const char *g)
{
	size_t n = 0;

	for (; *g; g++) {
		if (*g == '[') {
			const char *close = strchr(g + 1, ']');

			if (close) {
				g = close;
				continue;
			}
		}
		if (*g == '\\' && g[1])
			g++;
		else if (*g == '*' || *g == '?')
			continue;
		n++;
	}
	return n;
}

bool board_matches(const struct board *b, const char *by_id)
{
	const char *base = path_basename(by_id), *pf, *nf;

	if (!b->serial_pattern)
		return false;
	if (!fnmatch(b->serial_pattern, base, 0))
		return true;
	/* the serial survives the bootloader (usb-katapult_...) and Kalico's
	 * manufacturer string: compare the last '_' fields */
	pf = strrchr(b->serial_pattern, '_');
	pf = pf ? pf + 1 : b->serial_pattern;
	nf = strrchr(base, '_');
	if (!nf || glob_literals(pf) < SERIAL_LITERALS_MIN)
		return false;
	return !fnmatch(pf, nf + 1, FNM_CASEFOLD);
}

struct board *boards_match(const struct boards *b, const char *by_id, bool *ambiguous)
{
	struct board *found = NULL;

	if (ambiguous)
		*ambiguous = false;
	for (size_t i = 0; i < b->n; i++) {
		if (!board_matches(&b->v[i], by_id))
			continue;
		if (found) {
			if (ambiguous)
				*ambiguous = true;
			break;
		}
		found = &b->v[i];
	}
	return found;
}

void board_mcu_base(const char *mcu, char *out, size_t size)
{
	size_t n = strlen(mcu);

	if (!size)
		return;
	/* STM32 part numbers carry a package/flash-size suffix: stm32h723xx, stm32f103xe */
	if (n >= 6 && tolower((unsigned char)mcu[n - 2]) == 'x' &&
	    isalnum((unsigned char)mcu[n - 1]) && isdigit((unsigned char)mcu[n - 3]))
		n -= 2;
	if (n >= size)
		n = size - 1;
	for (size_t i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)mcu[i]);
	out[n] = '\0';
}

/* Copy the [from, from+n) slice into a fixed buffer; false if it does not fit. */
static bool copy_field(char *dst, size_t size, const char *from, size_t n)
{
	if (!n || n >= size)
		return false;
	memcpy(dst, from, n);
	dst[n] = '\0';
	return true;
}

int boards_propose(const char *by_id, struct board_proposal *out)
{
	const char *base = path_basename(by_id), *first, *last;
	size_t n = strlen(base), tail;

	memset(out, 0, sizeof *out);
	if (!str_starts_with(base, "usb-"))
		return -EINVAL;
	base += 4;
	n -= 4;
	tail = if_suffix_len(base, n);
	first = strchr(base, '_');
	last = strrchr(base, '_');
	if (!first || first == last)
		return -EINVAL;
	if (!copy_field(out->manufacturer, sizeof out->manufacturer, base, (size_t)(first - base)) ||
	    !copy_field(out->product, sizeof out->product, first + 1, (size_t)(last - first - 1)) ||
	    !copy_field(out->serial, sizeof out->serial, last + 1, (size_t)(base + n - tail - last - 1)))
		return -EINVAL;
	board_mcu_base(out->product, out->mcu, sizeof out->mcu);
	snprintf(out->pattern, sizeof out->pattern, "usb-%.*s*", (int)(n - tail), base);
	return 0;
}
