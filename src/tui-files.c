/* tui-files.c - the firmware browser: folders, *.bin and flash_args files,
 * an offset for a single .bin. */
#include "autoconf.h"

#include "tui.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app.h"
#include "config.h"
#include "firmware.h"
#include "log.h"
#include "parse.h"
#include "path.h"
#include "strvec.h"
#include "xalloc.h"

struct files {
	char *dir;
	struct strvec entries; /* "name/" for folders */
	size_t cursor, top;
	bool offset_mode;      /* typing the offset of a .bin */
	bool add_mode;         /* add to the current images instead of replacing them */
	bool offset_fresh;     /* the offset shown is the default: typing replaces it */
	char offset[16];
	char *chosen;          /* the .bin waiting for its offset */
	char error[240];
};

/* Files worth showing: *.bin and ESP-IDF's flash_args. */
static bool wanted(const char *name)
{
	size_t n = strlen(name);

	return !strcmp(name, "flash_args") || (n > 4 && !strcasecmp(name + n - 4, ".bin"));
}

static int by_name(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	bool dx = x[strlen(x) - 1] == '/', dy = y[strlen(y) - 1] == '/';

	if (!strcmp(x, "../"))
		return -1;
	if (!strcmp(y, "../"))
		return 1;
	if (dx != dy)
		return dx ? -1 : 1;
	return strcmp(x, y);
}

/* Read dir into the entry list. */
static void load_dir(struct files *f)
{
	DIR *d = opendir(f->dir);
	struct dirent *e;

	strvec_release(&f->entries);
	f->cursor = f->top = 0;
	if (strcmp(f->dir, "/"))
		strvec_push(&f->entries, "../");
	if (!d) {
		snprintf(f->error, sizeof f->error, "cannot open '%s': %s", f->dir, strerror(errno));
		return;
	}
	while ((e = readdir(d))) {
		char *path;
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		path = path_join(f->dir, e->d_name);
		if (stat(path, &st) == 0) {
			if (S_ISDIR(st.st_mode))
				strvec_pushf(&f->entries, "%s/", e->d_name);
			else if (S_ISREG(st.st_mode) && wanted(e->d_name))
				strvec_push(&f->entries, e->d_name);
		}
		free(path);
	}
	closedir(d);
	qsort(f->entries.v, f->entries.n, sizeof *f->entries.v, by_name);
}

/* Where to start: the current firmware's folder, else the working directory. */
static char *start_dir(struct tui *t)
{
	const struct firmware *fw = app_firmware(t->app);
	char cwd[PATH_MAX];

	if (fw->n)
		return path_dirname(fw->images[0].path);
	return xstrdup(getcwd(cwd, sizeof cwd) ? cwd : "/");
}

void tui_files_open(struct tui *t)
{
	struct files *f = xcalloc(1, sizeof *f);

	strvec_init(&f->entries);
	f->dir = start_dir(t);
	load_dir(f);
	tui_dialog_open(t, DIALOG_FILES, "Firmware: Enter opens/chooses, a adds a .bin, Esc closes",
			NULL, NULL);
	t->dialog->files = f;
}

void tui_files_free(void *p)
{
	struct files *f = p;

	strvec_release(&f->entries);
	free(f->dir);
	free(f->chosen);
	free(f);
}

/* Make fw the app's firmware, or show why not. */
static void apply(struct tui *t, struct files *f, struct firmware *fw, struct strbuf *err, int r)
{
	struct strbuf sum = STRBUF_INIT;

	if (!r)
		r = firmware_finalize(fw, err);
	if (r < 0) {
		snprintf(f->error, sizeof f->error, "%s", err->buf);
		firmware_release(fw);
		return;
	}
	app_set_firmware(t->app, fw);
	firmware_summary(app_firmware(t->app), &sum);
	tui_dialog_close(t);
	tui_note(t, false, "firmware: %s", sum.buf);
	log_msg(LOG_INFO, NULL, "operator: firmware chosen: %.8s %s", app_firmware(t->app)->sha256, sum.buf);
	strbuf_release(&sum);
}

/* Use the flash_args file or the .bin at the offset typed. */
static void choose(struct tui *t, struct files *f, const char *path, bool flash_args)
{
	struct firmware fw;
	struct strbuf err = STRBUF_INIT;
	int r = 0;

	firmware_init(&fw);
	if (flash_args) {
		r = firmware_load_flash_args(&fw, path, &err);
	} else {
		uint32_t off;

		if (parse_hex_u32(f->offset, &off) < 0) {
			snprintf(f->error, sizeof f->error, "'%s' is not a hex offset", f->offset);
			strbuf_release(&err);
			return;
		}
		for (size_t i = 0; f->add_mode && i < app_firmware(t->app)->n && !r; i++) {
			const struct firmware_image *img = &app_firmware(t->app)->images[i];

			if (img->offset != off)
				r = firmware_add(&fw, img->offset, img->path, &err);
		}
		if (!r)
			r = firmware_add(&fw, off, path, &err);
	}
	apply(t, f, &fw, &err, r);
	strbuf_release(&err);
}

/* Enter on an entry. */
static void open_entry(struct tui *t, struct files *f, bool add)
{
	const char *name = f->cursor < f->entries.n ? f->entries.v[f->cursor] : NULL;
	char *path, *real;
	size_t n;

	if (!name)
		return;
	path = path_join(f->dir, name);
	n = strlen(name);
	if (name[n - 1] == '/') {
		real = realpath(path, NULL);
		if (real) {
			free(f->dir);
			f->dir = real;
			f->error[0] = '\0';
			load_dir(f);
		}
	} else if (!strcmp(name, "flash_args")) {
		choose(t, f, path, true);
	} else {
		free(f->chosen);
		f->chosen = xstrdup(path);
		f->offset_mode = true;
		f->offset_fresh = true;
		f->add_mode = add;
		snprintf(f->offset, sizeof f->offset, "0x%x", t->cfg->fw_offset);
	}
	free(path);
}

/* Typing the offset of the chosen .bin. */
static void offset_key(struct tui *t, struct files *f, int key)
{
	size_t n = strlen(f->offset);
	bool fresh = f->offset_fresh;

	f->offset_fresh = false;
	if (fresh && key > 0 && key < 128 && strchr("0123456789abcdefABCDEFx", key))
		f->offset[n = 0] = '\0'; /* typing replaces the default */
	if (key == 27) {
		f->offset_mode = false;
	} else if (key == '\r' || key == '\n' || key == KEY_ENTER) {
		f->offset_mode = false;
		choose(t, f, f->chosen, false);
	} else if ((key == KEY_BACKSPACE || key == 127 || key == 8) && n) {
		f->offset[n - 1] = '\0';
	} else if (n < sizeof f->offset - 1 && key < 128 && key > 0 &&
		   strchr("0123456789abcdefABCDEFx", key)) {
		f->offset[n] = (char)key;
		f->offset[n + 1] = '\0';
	}
}

void tui_files_key(struct tui *t, int key)
{
	struct files *f = t->dialog->files;
	size_t n = f->entries.n;

	if (f->offset_mode) {
		offset_key(t, f, key);
		return;
	}
	switch (key) {
	case KEY_UP: case 'k': if (f->cursor) f->cursor--; break;
	case KEY_DOWN: case 'j': if (f->cursor + 1 < n) f->cursor++; break;
	case KEY_PPAGE: f->cursor = f->cursor > 10 ? f->cursor - 10 : 0; break;
	case KEY_NPAGE: f->cursor = f->cursor + 10 < n ? f->cursor + 10 : (n ? n - 1 : 0); break;
	case KEY_HOME: f->cursor = 0; break;
	case KEY_END: f->cursor = n ? n - 1 : 0; break;
	case '\r': case '\n': case KEY_ENTER: case KEY_RIGHT: open_entry(t, f, false); break;
	case 'a': open_entry(t, f, true); break;
	case KEY_BACKSPACE: case KEY_LEFT: case 'h': case 127:
		f->cursor = 0;
		if (n && !strcmp(f->entries.v[0], "../"))
			open_entry(t, f, false);
		break;
	case 27: case 'q': tui_dialog_close(t); break;
	default: break;
	}
}

void tui_files_draw(struct tui *t, int y, int x, int h, int w)
{
	struct files *f = t->dialog->files;
	char *safe = tui_safe(t, f->dir);
	int rows = h - 3;

	tui_put(t, y, x, w, safe, true);
	free(safe);
	if (f->cursor < f->top)
		f->top = f->cursor;
	if (rows > 0 && f->cursor >= f->top + (size_t)rows)
		f->top = f->cursor - (size_t)rows + 1;
	for (int i = 0; i < rows; i++) {
		size_t idx = f->top + (size_t)i;

		if (idx >= f->entries.n) {
			tui_put(t, y + 1 + i, x, w, "", true);
			continue;
		}
		safe = tui_safe(t, f->entries.v[idx]);
		attrset(idx == f->cursor ? t->role[ROLE_CURSOR] : A_NORMAL);
		tui_put(t, y + 1 + i, x, w, safe, true);
		attrset(A_NORMAL);
		free(safe);
	}
	if (f->offset_mode) {
		char line[300], *name = tui_safe(t, path_basename(f->chosen));

		snprintf(line, sizeof line, "offset of %s: %s_  (Enter: %s, Esc: back)", name,
			 f->offset, f->add_mode ? "add it" : "use it alone");
		attrset(t->role[ROLE_ACTIVE]);
		tui_put(t, y + h - 2, x, w, line, true);
		free(name);
	} else {
		tui_put(t, y + h - 2, x, w, f->entries.n <= 1 ? "no *.bin or flash_args here" : "", true);
	}
	attrset(t->role[ROLE_FAIL]);
	safe = tui_safe(t, f->error);
	tui_put(t, y + h - 1, x, w, safe, true);
	attrset(A_NORMAL);
	free(safe);
}
