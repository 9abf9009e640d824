/* tui-label.c - the scan field (L): a label for the current board, or in
 * monitor mode for the next board plugged in. A barcode scanner is a
 * keyboard: it types the label and Enter. The label is untrusted text:
 * app_set_label() keeps at most UNIT_LABEL_MAX bytes without control
 * characters; the screen shows it sanitised. */
#include "autoconf.h"

#include "tui.h"

#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "xalloc.h"

/* The field's state (tui_dialog.label). */
struct tui_label {
	unsigned slot;          /* the board's slot; 0: the next board plugged in */
	char buf[4 * UNIT_LABEL_MAX + 1]; /* what was typed (raw bytes) */
	size_t len;
};

void tui_label_open(struct tui *t)
{
	struct app_board *b = tui_board(t, t->cursor);
	bool next = app_monitor(t->app);
	struct strbuf text = STRBUF_INIT;
	struct tui_label *l;

	if (!next && !b) {
		tui_note(t, true, "no board to label");
		return;
	}
	if (next) {
		strbuf_addstr(&text, "Scan or type the label of the NEXT board plugged in");
	} else {
		strbuf_addstr(&text, "Scan or type the label of ");
		app_board_name(b, &text);
	}
	strbuf_addstr(&text, "\nEnter: keep it   Esc: cancel   Ctrl-U: clear");
	tui_dialog_open(t, DIALOG_LABEL, "Label", text.buf, NULL);
	strbuf_release(&text);
	l = xcalloc(1, sizeof *l);
	l->slot = next ? 0 : b->slot;
	t->dialog->label = l;
}

/* Enter: the label goes to its board (or waits for the next one). */
static void label_keep(struct tui *t, struct tui_label *l)
{
	struct app_board *b = l->slot ? app_board_for_slot(t->app, l->slot) : NULL;
	char *raw = xstrndup(l->buf, l->len);

	if (l->slot && !b) {
		tui_note(t, true, "slot %u is gone: label not kept", l->slot);
	} else {
		app_set_label(t->app, b, raw);
		if (b)
			tui_note(t, false, "slot %u labelled", l->slot);
		else
			tui_note(t, false, "the next board plugged in gets the label");
	}
	free(raw);
	tui_dialog_close(t);
}

void tui_label_key(struct tui *t, int key)
{
	struct tui_label *l = t->dialog->label;

	switch (key) {
	case '\r': case '\n': case KEY_ENTER:
		label_keep(t, l);
		return;
	case 27:
		tui_dialog_close(t);
		return;
	case KEY_BACKSPACE: case 127: case 8:
		while (l->len && ((unsigned char)l->buf[l->len - 1] & 0xc0) == 0x80)
			l->len--; /* a UTF-8 character's continuation bytes */
		if (l->len)
			l->len--;
		break;
	case 21: /* Ctrl-U */
		l->len = 0;
		break;
	default:
		if (key >= 0x20 && key <= 0xff && key != 0x7f && l->len + 1 < sizeof l->buf)
			l->buf[l->len++] = (char)key;
		break;
	}
	tui_dirty(t);
}

void tui_label_draw(struct tui *t, int y, int x, int w)
{
	const struct tui_label *l = t->dialog->label;
	char *raw = xstrndup(l->buf, l->len), *safe = tui_safe(t, raw);
	size_t len = strlen(safe);
	/* the end of a long label stays in view */
	const char *shown = (int)len > w - 3 ? safe + len - (size_t)(w - 3) : safe;
	struct strbuf line = STRBUF_INIT;

	strbuf_addf(&line, "> %s_", shown);
	attrset(t->role[ROLE_KEY]);
	tui_put(t, y, x, w, line.buf, true);
	attrset(A_NORMAL);
	strbuf_release(&line);
	free(raw);
	free(safe);
}
