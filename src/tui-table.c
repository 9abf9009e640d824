/* tui-table.c - the board table pane: a row per slot, columns fitted to the
 * content and the terminal width. */
#include "autoconf.h"

#include "tui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "path.h"
#include "text.h"

enum tui_role tui_state_text(const struct app_board *b, char *out, size_t n)
{
	const struct flash_progress *p = &b->prog;

	switch (b->state) {
	case BOARD_QUEUED:
		snprintf(out, n, "queued");
		return ROLE_ACTIVE;
	case BOARD_RUNNING:
		if (p->phase == PHASE_FLASH && p->images > 1)
			snprintf(out, n, "Flash %d/%d %.0f%%", p->image, p->images, p->overall_pct);
		else if (p->phase == PHASE_FLASH)
			snprintf(out, n, "Flash %.0f%%", p->overall_pct);
		else if (p->phase == PHASE_TEST)
			snprintf(out, n, "Test %us", tui_seconds_left(p));
		else
			snprintf(out, n, "%s", phase_name(p->phase));
		return ROLE_ACTIVE;
	case BOARD_PASS:
		snprintf(out, n, "PASS");
		return ROLE_PASS;
	case BOARD_FAIL:
		snprintf(out, n, "FAIL:%s", outcome_name(b->outcome));
		return ROLE_FAIL;
	case BOARD_IDLE:
		snprintf(out, n, "idle");
		return ROLE_NORMAL;
	default:
		snprintf(out, n, "unplugged");
		return ROLE_DIM;
	}
}

/* The board table's columns; a width of 0 leaves the column out. */
enum { COL_SLOT, COL_PORT, COL_KIND, COL_CHIP, COL_MAC, COL_UNIT, COL_STATE, COL_LAST,
       COL__COUNT };
struct cols {
	int w[COL__COUNT];
};

/* The cell texts of b's row (raw), except STATE and LAST. */
static void board_cells(const struct app_board *b, const char *cell[COL__COUNT], char slot[16],
			char unit[UNIT_SERIAL_MAX + UNIT_LABEL_MAX + 2])
{
	const struct device *d = b->dev;

	if (d && d->slot_label)
		snprintf(slot, 16, "%s", d->slot_label);
	else
		snprintf(slot, 16, "%u", b->slot);
	cell[COL_SLOT] = slot;
	cell[COL_PORT] = d ? path_basename(d->devnode) : "-";
	cell[COL_KIND] = d ? kind_name(d->kind) : "";
	cell[COL_CHIP] = b->chip[0] ? b->chip : d && d->kind_what ? d->kind_what : "";
	cell[COL_MAC] = b->mac[0] ? b->mac : d && d->serial ? d->serial : "";
	/* per-unit data: the serial and the label, when there are any */
	snprintf(unit, UNIT_SERIAL_MAX + UNIT_LABEL_MAX + 2, "%s%s%s", b->serial,
		 b->serial[0] && b->label[0] ? " " : "", b->label);
	cell[COL_UNIT] = unit;
	cell[COL_STATE] = cell[COL_LAST] = "";
}

/* The chip without its revision: "ESP32-D0WD-V3 (v3.0)" -> "ESP32-D0WD-V3". */
static void chip_brief(const char *chip, char *out, size_t n)
{
	size_t len = strcspn(chip, "(");

	while (len && chip[len - 1] == ' ')
		len--;
	snprintf(out, n, "%.*s", (int)len, chip);
}

/* A chip name still too wide for w columns: cut at a '-' (ESP32-D0WD-V3 ->
 * ESP32-D0WD) where that leaves most of it, rather than mid-word. */
static void chip_cut(char *chip, int w)
{
	size_t len = strlen(chip), k = (size_t)w;

	if (w < 1 || len <= (size_t)w)
		return;
	while (k > (size_t)w / 2 && chip[k] != '-')
		k--;
	if (chip[k] == '-')
		chip[k] = '\0';
}

/* Widths that fit the content: the widest cell (or heading) of each column
 * (*chip_min: the widest chip without its revision). STATE takes 18 (most
 * states), LAST 5 ("09:41"); the PORT column holds the '!' mark too. */
static struct cols natural_cols(struct tui *t, int *chip_min)
{
	struct cols c = { { 4, 4 + 1, 4, 8, 10, 0, 18, 5 } };

	*chip_min = 8;

	for (size_t i = 0; i < tui_board_count(t); i++) {
		const char *cell[COL__COUNT];
		char slot[16], unit[UNIT_SERIAL_MAX + UNIT_LABEL_MAX + 2];

		board_cells(tui_board(t, i), cell, slot, unit);
		for (int k = COL_SLOT; k <= COL_UNIT; k++) {
			char *safe = tui_safe(t, cell[k]);
			int w = (int)text_width(safe) + (k == COL_PORT);

			free(safe);
			if (k == COL_UNIT && w && w < 4)
				w = 4; /* its heading */
			if (w > c.w[k])
				c.w[k] = w;
			if (k == COL_CHIP) {
				char brief[96];

				chip_brief(cell[k], brief, sizeof brief);
				safe = tui_safe(t, brief);
				w = (int)text_width(safe);
				free(safe);
				*chip_min = w > *chip_min ? w : *chip_min;
			}
		}
	}
	return c;
}

/* Total width of the table: the two mark columns and a space after each column. */
static int cols_width(const struct cols *c)
{
	int w = 2 - 1;

	for (int k = 0; k < COL__COUNT; k++)
		w += c->w[k] ? c->w[k] + 1 : 0;
	return w;
}

/* Narrow column k to at least min while the table is wider than width. */
static void shrink(struct cols *c, int k, int min, int width)
{
	int over = cols_width(c) - width;

	if (over > 0 && c->w[k] > min)
		c->w[k] -= over < c->w[k] - min ? over : c->w[k] - min;
}

/* Column widths for the terminal width: every column as wide as its content
 * where that fits; too wide, CHIP drops the revision (see draw_board()), then
 * CHIP, MAC/SERIAL and STATE give up their long tails, then LAST and KIND go, then CHIP and MAC are cut; room to spare
 * widens STATE (long failure classes) and LAST (word and time). */
static struct cols table_cols(struct tui *t)
{
	int chip_min, width = t->cols, more;
	struct cols c = natural_cols(t, &chip_min);

	if (cols_width(&c) > width) /* the serial and label: only if there is room */
		c.w[COL_UNIT] = 0;
	shrink(&c, COL_CHIP, chip_min, width);
	shrink(&c, COL_CHIP, 10, width);
	shrink(&c, COL_MAC, 17, width);
	shrink(&c, COL_STATE, 14, width);
	if (cols_width(&c) > width)
		c.w[COL_LAST] = 0;
	if (cols_width(&c) > width)
		c.w[COL_KIND] = 0;
	shrink(&c, COL_CHIP, 6, width);
	shrink(&c, COL_MAC, 12, width);
	shrink(&c, COL_STATE, 12, width);
	more = width - cols_width(&c);
	if (more > 0 && c.w[COL_STATE]) {
		int add = more < 23 - c.w[COL_STATE] ? more : 23 - c.w[COL_STATE];

		c.w[COL_STATE] += add > 0 ? add : 0;
		more -= add > 0 ? add : 0;
	}
	if (more > 0 && c.w[COL_LAST])
		c.w[COL_LAST] += more < 5 ? more : 5;
	return c;
}

/* LAST: the last result of this plug-in and when; at 80 columns only the
 * time when STATE already says PASS/FAIL, only the word when it does not. */
static void last_text(const struct app_board *b, int width, char *out, size_t n)
{
	bool shown = b->state == BOARD_PASS || b->state == BOARD_FAIL;
	bool known = b->result_wall_ms && b->attempts > 0 &&
		     (shown || b->state == BOARD_EMPTY || b->attempts > 1);
	const char *word = b->outcome == OUTCOME_OK ? "PASS" : "FAIL";
	time_t when = (time_t)(b->result_wall_ms / 1000);
	struct tm tm;

	if (!known) {
		snprintf(out, n, "-");
		return;
	}
	localtime_r(&when, &tm);
	if (width >= 10)
		snprintf(out, n, "%s %02d:%02d", word, tm.tm_hour, tm.tm_min);
	else if (shown)
		snprintf(out, n, "%02d:%02d", tm.tm_hour, tm.tm_min);
	else
		snprintf(out, n, "%s", word);
}

/* Put raw text sanitised into a column (right-aligned when right); returns
 * the next column's x. */
static int put_col_aligned(struct tui *t, int y, int x, int w, const char *raw, bool right)
{
	char *s = tui_safe(t, raw);
	int tw = (int)text_width(s);

	if (right && tw < w) {
		tui_put(t, y, x, w - tw, "", true);
		tui_put(t, y, x + w - tw, tw, s, true);
	} else {
		tui_put(t, y, x, w, s, true);
	}
	free(s);
	if (x + w < t->cols)
		tui_put(t, y, x + w, 1, " ", true);
	return x + w + 1;
}

/* A left-aligned column. */
static int put_col(struct tui *t, int y, int x, int w, const char *raw)
{
	return put_col_aligned(t, y, x, w, raw, false);
}

/* One row of the board table. */
static void draw_board(struct tui *t, int y, struct app_board *b, bool cursor, struct cols c)
{
	const struct device *d = b->dev;
	const char *cell[COL__COUNT];
	char state[48], last[32], slot[16], chip[96], unit[UNIT_SERIAL_MAX + UNIT_LABEL_MAX + 2];
	enum tui_role role = tui_state_text(b, state, sizeof state);
	attr_t base = cursor ? t->role[ROLE_CURSOR] : !d || !d->present ? t->role[ROLE_DIM] : A_NORMAL;
	int x = 2;

	board_cells(b, cell, slot, unit);
	if ((int)strlen(cell[COL_CHIP]) > c.w[COL_CHIP]) {
		chip_brief(cell[COL_CHIP], chip, sizeof chip);
		chip_cut(chip, c.w[COL_CHIP]);
		cell[COL_CHIP] = chip;
	}
	last_text(b, c.w[COL_LAST], last, sizeof last);
	attrset(base);
	tui_put(t, y, 0, 1, cursor ? t->gl->cursor : " ", true);
	tui_put(t, y, 1, 1, tui_is_selected(t, b->slot) ? t->gl->selected : " ", true);
	x = put_col_aligned(t, y, x, c.w[COL_SLOT], cell[COL_SLOT], true);
	x = put_col(t, y, x, c.w[COL_PORT] - 1, cell[COL_PORT]) - 1;
	x = put_col(t, y, x, 1, d && d->dup_by_id ? "!" : " ");
	for (int k = COL_KIND; k <= COL_UNIT; k++)
		if (c.w[k])
			x = put_col(t, y, x, c.w[k], cell[k]);
	/* the state keeps its own attributes on the cursor row too: readable
	 * there, and a running board's percent costs no attribute switch */
	attrset(t->role[role]);
	x = put_col(t, y, x, c.w[COL_STATE], state);
	attrset(base);
	tui_put(t, y, x, t->cols - x, c.w[COL_LAST] ? last : "", true);
	attrset(A_NORMAL);
}

/* The column headings of the board table. */
static void draw_headings(struct tui *t, int y, struct cols c)
{
	static const char *const names[] = { "SLOT", "PORT", "KIND", "CHIP/MCU", "MAC/SERIAL",
					     "UNIT", "STATE", "LAST" };
	int x = 2;

	attrset(A_BOLD);
	tui_put(t, y, 0, 2, "", true);
	for (int k = 0; k < COL__COUNT; k++)
		if (c.w[k])
			x = put_col_aligned(t, y, x, k + 1 < COL__COUNT ? c.w[k] : t->cols - x, names[k],
					    k == COL_SLOT);
	if (x < t->cols)
		tui_put(t, y, x, t->cols - x, "", true);
	attrset(A_NORMAL);
}

/* The board table in rows [y, y + h). */
void tui_draw_boards(struct tui *t, int y, int h)
{
	struct cols c = table_cols(t);
	size_t n = tui_board_count(t);
	char title[64];

	snprintf(title, sizeof title, "Boards %zu", n);
	draw_headings(t, y + 1, c);
	h -= 2;
	if (t->cursor < t->top)
		t->top = t->cursor;
	if (h > 0 && t->cursor >= t->top + (size_t)h)
		t->top = t->cursor - (size_t)h + 1;
	if (h > 0 && t->top + (size_t)h > n)
		t->top = n > (size_t)h ? n - (size_t)h : 0; /* no empty rows after a shrink */
	if (n > (size_t)h && h > 0)
		snprintf(title, sizeof title, "Boards %zu (%zu-%zu)", n, t->top + 1, t->top + (size_t)h);
	tui_rule(t, y, title, t->focus == FOCUS_DEVICES);
	for (int i = 0; i < h; i++) {
		struct app_board *b = tui_board(t, t->top + (size_t)i);

		if (b) {
			draw_board(t, y + 2 + i, b, t->top + (size_t)i == t->cursor, c);
			continue;
		}
		tui_put(t, y + 2 + i, 0, t->cols,
			!n && i == 0 ? "  no boards yet: plug some in (r rescans)" : "", true);
	}
}
