/* klipper-mcus.c - the processors a Klipper/Kalico tree can build for, read
 * from its Kconfig files, and the names near a misspelt one. */
#include "autoconf.h"

#include "klipper.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "array.h"
#include "boards.h"
#include "files.h"
#include "str.h"
#include "xalloc.h"

/* The text of s after leading blanks. */
static const char *skip_blanks(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* Does Kconfig line l (blanks skipped) start a new entry or block? */
static bool kconfig_entry_start(const char *l)
{
	static const char *const words[] = { "config ", "menuconfig ", "choice", "endchoice",
					     "if ", "endif", "menu ", "endmenu", "source ",
					     "comment " };

	for (size_t i = 0; i < ARRAY_SIZE(words); i++)
		if (str_starts_with(l, words[i]))
			return true;
	return false;
}

/* Add the `default "NAME"` values of the `config MCU` entries of one
 * Kconfig text to out (no duplicates); returns how many entries it had. */
static int kconfig_mcus(char *text, struct strvec *out)
{
	bool in_mcu = false;
	int entries = 0;

	for (char *line = text, *next; line; line = next) {
		const char *l;
		char *q;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		l = skip_blanks(line);
		if (kconfig_entry_start(l)) {
			in_mcu = !strcmp(l, "config MCU") || str_starts_with(l, "config MCU ");
			entries += in_mcu;
			continue;
		}
		if (!in_mcu || !str_starts_with(l, "default \""))
			continue;
		l += 9;
		q = strchr(l, '"');
		if (q && q > l) {
			*q = '\0';
			if (strvec_find(out, l) < 0)
				strvec_push(out, l);
		}
	}
	return entries;
}

int klipper_tree_mcus(const char *tree, struct strvec *out)
{
	char *src = xasprintf("%s/src", tree);
	DIR *dir = opendir(src);
	struct dirent *de;
	int entries = 0;

	if (!dir) {
		free(src);
		return -ENOENT;
	}
	while ((de = readdir(dir))) {
		char *path = xasprintf("%s/%s/Kconfig", src, de->d_name);
		struct strbuf text = STRBUF_INIT;

		if (de->d_name[0] != '.' && read_file(path, &text) == 0)
			entries += kconfig_mcus(text.buf, out);
		/* a Linux host has no CONFIG_MCU: its klipper.dict says "linux" */
		if (!strcmp(de->d_name, "linux") && strvec_find(out, "linux") < 0)
			strvec_push(out, "linux");
		strbuf_release(&text);
		free(path);
	}
	closedir(dir);
	free(src);
	return entries ? 0 : -ENOENT;
}

/* Edit distance of a and b (both shorter than 64 bytes). */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[64];

	if (la >= 64 || lb >= 64)
		return 64;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

void klipper_mcus_near(const char *mcu, const struct strvec *known, size_t max,
		       struct strvec *out)
{
	char want[64], base[64];
	size_t limit;

	board_mcu_base(mcu, want, sizeof want);
	limit = strlen(want) / 4 > 2 ? strlen(want) / 4 : 2;
	/* closest first: every name at distance 0, then 1, ... */
	for (size_t d = 0; d <= limit && out->n < max; d++) {
		for (size_t i = 0; i < known->n && out->n < max; i++) {
			board_mcu_base(known->v[i], base, sizeof base);
			if (distance(want, base) == d && strvec_find(out, base) < 0)
				strvec_push(out, base);
		}
	}
}
