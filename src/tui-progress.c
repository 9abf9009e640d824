/* tui-progress.c - the progress pane: a bar per running attempt, with
 * bytes, rate, elapsed time and ETA. */
#include "autoconf.h"

#include "tui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "clock.h"
#include "path.h"
#include "xalloc.h"

/* A progress bar of width w for pct, in the current attributes. */
static void draw_bar(struct tui *t, int y, int x, int w, double pct)
{
	double cells = pct / 100.0 * w;
	int full = (int)cells;

	move(y, x);
	for (int i = 0; i < w; i++) {
		const char *g = t->gl->bar_empty;

		if (i < full)
			g = t->gl->bar_full;
		else if (i == full && t->gl->bar_eighths)
			g = t->gl->bar_eighths[(int)((cells - full) * 8) & 7];
		addstr(g);
	}
}

/* Whole seconds as "m:ss" (or "h:mm:ss"): changes once a second at most. */
static void clock_text(uint64_t ms, char out[16])
{
	uint64_t s = ms / 1000;

	if (s >= 3600)
		snprintf(out, 16, "%u:%02u:%02u", (unsigned)(s / 3600), (unsigned)(s / 60 % 60),
			 (unsigned)(s % 60));
	else
		snprintf(out, 16, "%u:%02u", (unsigned)(s / 60), (unsigned)(s % 60));
}

unsigned tui_seconds_left(const struct flash_progress *p)
{
	uint64_t now = now_ms();

	return p->deadline_ms > now ? (unsigned)((p->deadline_ms - now + 999) / 1000) : 0;
}

/* The estimates of b's running attempt (ETA, kbit/s) as last shown. */
static struct tui_estimate *estimate_for(struct tui *t, const struct app_board *b)
{
	size_t i = 0;

	for (; i < t->nest; i++)
		if (t->est[i].slot == b->slot)
			break;
	if (i == t->nest) {
		t->est = xgrow(t->est, &t->est_alloc, t->nest + 1, sizeof *t->est);
		memset(&t->est[t->nest++], 0, sizeof *t->est);
		t->est[i].slot = b->slot;
	}
	return &t->est[i];
}

/* The least overall percent an ETA is worked out from. */
#define ETA_MIN_PCT 5.0

/* ETA and kbit/s of b, worked out again only when the elapsed clock moves on
 * to the next second (once both are known): estimates that wobble with every
 * progress line would cost bytes and help nobody. */
static const struct tui_estimate *estimates(struct tui *t, const struct app_board *b,
					    uint64_t el, uint64_t done)
{
	const struct flash_progress *p = &b->prog;
	struct tui_estimate *e = estimate_for(t, b);
	double kbps = p->kbps;

	if (e->run_start == b->run_start_ms && e->sec == el / 1000 + 1 && e->eta[0] && e->rate[0])
		return e; /* until both are known, every frame tries again */
	e->run_start = b->run_start_ms;
	e->sec = el / 1000 + 1;
	e->eta[0] = e->rate[0] = '\0';
	/* not from the first percent or two: now that progress arrives as the
	 * tool prints it, such an ETA (elapsed includes connecting) would be
	 * far off and kept for a whole second */
	if (p->overall_pct >= ETA_MIN_PCT && p->overall_pct < 100)
		clock_text((uint64_t)((double)el * (100 - p->overall_pct) / p->overall_pct), e->eta);
	if (kbps <= 0 && done && el > 0)
		kbps = (double)done * 8.0 / (double)el; /* bytes per ms * 8 = kbit/s */
	if (kbps > 0)
		snprintf(e->rate, sizeof e->rate, "%.0f", kbps);
	return e;
}

/* The right part of a progress line: percent, bytes, kbit/s, elapsed, ETA. */
static void progress_figures(struct tui *t, const struct app_board *b, char *out, size_t n)
{
	const struct flash_progress *p = &b->prog;
	uint64_t el = now_ms() - b->run_start_ms;
	uint64_t done = (uint64_t)(p->overall_pct / 100.0 * (double)p->bytes_total);
	char sdone[16], stotal[16], elapsed[16];
	const struct tui_estimate *e = estimates(t, b, el, done);

	tui_human(done, sdone);
	tui_human(p->bytes_total, stotal);
	clock_text(el, elapsed);
	/* fixed widths, so the bars line up whatever the numbers */
	snprintf(out, n, "%3.0f%% %5s/%-5s %5s%s %5s %s%5s", p->overall_pct, sdone, stotal, e->rate,
		 e->rate[0] ? "kb/s" : "    ", elapsed, e->eta[0] ? "ETA " : "    ", e->eta);
}

/* One progress line for a running board. */
static void draw_progress_line(struct tui *t, int y, struct app_board *b)
{
	const struct flash_progress *p = &b->prog;
	char left[64], right[96], phase[24];
	const char *port = b->dev ? path_basename(b->dev->devnode) : "-";
	char *sport = tui_safe(t, port);
	int barw, rw;

	if (p->phase == PHASE_FLASH && p->images > 1)
		snprintf(phase, sizeof phase, "%s %d/%d", phase_name(p->phase), p->image, p->images);
	else if (p->phase == PHASE_TEST)
		snprintf(phase, sizeof phase, "Test %us", tui_seconds_left(p));
	else
		snprintf(phase, sizeof phase, "%s", phase_name(p->phase));
	snprintf(left, sizeof left, "%3u %-8.8s %-9.9s", b->slot, sport, phase);
	free(sport);
	progress_figures(t, b, right, sizeof right);
	rw = (int)strlen(right);
	tui_put(t, y, 0, 23, left, true);
	barw = t->cols - 22 - rw - 2;
	/* what changes (bar and figures) shares the state column's attributes:
	 * a frame then switches attributes once, not twice per changed line */
	attrset(t->role[ROLE_ACTIVE]);
	if (barw >= 4) {
		draw_bar(t, y, 23, barw, p->overall_pct);
		tui_put(t, y, 23 + barw, t->cols - 23 - barw - rw, " ", true);
		tui_put(t, y, t->cols - rw, rw, right, true);
	} else {
		tui_put(t, y, 23, t->cols - 23, right, true);
	}
	attrset(A_NORMAL);
}

/* Progress: one bar per running board (as many as fit). */
void tui_draw_progress(struct tui *t, int y, int h, size_t running)
{
	char title[48];
	int row = 0;
	size_t shown = 0;

	snprintf(title, sizeof title, "Progress: %zu running", running);
	tui_rule(t, y, title, false);
	for (size_t i = 0; i < tui_board_count(t) && row < h; i++) {
		struct app_board *b = tui_board(t, i);

		if (b->state != BOARD_RUNNING)
			continue;
		if (row == h - 1 && running - shown > 1) {
			char more[64];

			snprintf(more, sizeof more, "  ... and %zu more (see STATE above)", running - shown);
			tui_put(t, y + 1 + row++, 0, t->cols, more, true);
			break;
		}
		draw_progress_line(t, y + 1 + row++, b);
		shown++;
	}
	for (; row < h; row++)
		tui_put(t, y + 1 + row, 0, t->cols,
			row == 0 && !running ? (app_shutting_down(t->app) ? "  done" : "  idle") : "",
			true);
}
