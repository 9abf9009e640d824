/* tui-log.c - the log pane: the newest entries at the bottom, wrapped, and
 * scrolled back when it has the focus. */
#include "autoconf.h"

#include "tui.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "log.h"
#include "strvec.h"

/* Entry e as shown: time, level, text; wrapped to the width into out. */
static void log_rows(struct tui *t, const struct log_entry *e, struct strvec *out)
{
	struct strbuf sb = STRBUF_INIT;
	time_t when = (time_t)(e->wall_ms / 1000);
	struct tm tm;
	char *safe;

	localtime_r(&when, &tm);
	strbuf_addf(&sb, "%02d:%02d:%02d %s%s", tm.tm_hour, tm.tm_min, tm.tm_sec,
		    e->level >= LOG_WARN ? (e->level == LOG_ERROR ? "ERROR " : "warn ") : "", e->text);
	safe = tui_safe(t, sb.buf);
	tui_wrap(safe, t->cols, 9, out); /* continuation rows start under the text */
	free(safe);
	strbuf_release(&sb);
}

/* How far the log scrolls back in h rows: the oldest entries then fill the
 * pane from its top, the oldest one whole (an entry that would overflow the
 * pane is left for the next step down). */
static size_t log_max_back(struct tui *t, int h)
{
	size_t n = log_count(), k = 0;
	int rows = 0;

	for (; k < n && rows < h; k++) {
		struct strvec wrapped = STRVEC_INIT;

		log_rows(t, log_get(k), &wrapped);
		rows += (int)wrapped.n;
		strvec_release(&wrapped);
	}
	if (rows > h && k > 1) /* the last one counted would push the oldest out */
		k--;
	return n - k;
}

/* Log pane: the newest entry at the bottom (or log_back entries back), each
 * wrapped whole onto as many rows as it needs; the oldest shown may lose its
 * first rows at the top. */
void tui_draw_log(struct tui *t, int y, int h)
{
	size_t n = log_count();
	long idx;
	int row = h;
	char title[96];

	if (t->log_back > log_max_back(t, h))
		t->log_back = log_max_back(t, h); /* no scrolling past the oldest */
	if (t->focus != FOCUS_LOG)
		snprintf(title, sizeof title, "Log");
	else if (t->log_back)
		snprintf(title, sizeof title, "Log: %zu back (Up/Down PgUp/PgDn Home/End; l, Esc)",
			 t->log_back);
	else
		snprintf(title, sizeof title, "Log (Up/Down PgUp/PgDn Home/End scroll; l, Esc)");
	tui_rule(t, y, title, t->focus == FOCUS_LOG);
	for (idx = (long)(n - t->log_back) - 1; idx >= 0 && row > 0; idx--) {
		const struct log_entry *e = log_get((size_t)idx);
		struct strvec rows = STRVEC_INIT;

		log_rows(t, e, &rows);
		attrset(e->level == LOG_ERROR ? t->role[ROLE_FAIL] :
			e->level == LOG_WARN ? t->role[ROLE_WARN] : A_NORMAL);
		for (size_t k = rows.n; k-- > 0 && row > 0;)
			tui_put(t, y + row--, 0, t->cols, rows.v[k], true);
		attrset(A_NORMAL);
		strvec_release(&rows);
	}
	while (row > 0)
		tui_put(t, y + row--, 0, t->cols, "", true);
}
