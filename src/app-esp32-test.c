/* app-esp32-test.c - the Test phase of the ESP32 plan: after esptool wrote
 * (or found identical) every image and reset the board into its
 * application, read the board's self-test from its port (teststep.h) and
 * end the attempt with its result. The port lock stays held throughout;
 * the lines read go to the attempt's log file, its output and its record,
 * each prefixed "test: ". */
#include "autoconf.h"

#include "app-esp32-test.h"

#include "app-internal.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "lines.h"
#include "log.h"
#include "teststep.h"
#include "xalloc.h"

struct esp32_test {
	struct app_run *run;
	struct esp32_test **slot; /* where the run keeps it */
	struct teststep *ts;
	struct strbuf output; /* esptool's last lines */
	struct tail lines;    /* the test's last lines, "test: " prefixed */
	char *ok_message;     /* esptool's success message */
	int exit_code;        /* esptool's */
};

void esp32_test_free(struct esp32_test *t)
{
	if (!t)
		return;
	teststep_free(t->ts);
	strbuf_release(&t->output);
	tail_release(&t->lines);
	free(t->ok_message);
	free(t);
}

/* End the run with o: esptool's output and then the test's lines. */
static void test_finish(struct esp32_test *t, enum outcome o, const char *message)
{
	struct app_run *run = t->run;
	struct strbuf out = STRBUF_INIT;

	strbuf_addstr(&out, t->output.buf);
	if (tail_count(&t->lines) && out.len)
		strbuf_addch(&out, '\n');
	tail_join(&t->lines, &out);
	*t->slot = NULL; /* the run (and slot) is freed by the finish */
	app_run_finish_output(run, o, message, t->exit_code, out.buf);
	strbuf_release(&out);
	esp32_test_free(t);
}

static void on_line(void *data, const char *line)
{
	struct esp32_test *t = data;
	char *pl = xasprintf("test: %s", line);

	tail_push(&t->lines, pl, strlen(pl));
	app_run_output(t->run, JOB_STDOUT, pl, false);
	free(pl);
}

static void on_done(void *data, enum test_result r, const char *line)
{
	struct esp32_test *t = data;
	const struct config *cfg = t->run->app->cfg;
	struct strbuf msg = STRBUF_INIT;
	enum outcome o = OUTCOME_OK;

	switch (r) {
	case TEST_PASS:
		strbuf_addf(&msg, "%s; test passed: %s", t->ok_message, line);
		break;
	case TEST_FAIL:
		o = OUTCOME_TEST_FAILED;
		strbuf_addstr(&msg, line);
		break;
	case TEST_TIMEOUT:
		o = OUTCOME_TEST_TIMEOUT;
		strbuf_addf(&msg, "no line matched [test] pass within %llu s",
			    (unsigned long long)(cfg->test_timeout_ms + 999) / 1000);
		strbuf_addf(&msg, *line ? "; the last line: %s" : "; nothing was read", line);
		break;
	default:
		o = OUTCOME_UNPLUGGED;
		strbuf_addf(&msg, "%s (gone at Test): %s", outcome_message(o), line);
		break;
	}
	test_finish(t, o, msg.buf);
	strbuf_release(&msg);
}

static const struct teststep_ops test_ops = { on_line, on_done };

/* The port could not be opened for the test: gone, or a failed test. */
static void open_failed(struct esp32_test *t, const char *why)
{
	struct stat st;

	test_finish(t, stat(t->run->port, &st) < 0 ? OUTCOME_UNPLUGGED : OUTCOME_TEST_FAILED, why);
}

bool esp32_test_begin(struct app_run *run, struct esp32_test **slot, const char *message,
		      const struct job *job)
{
	struct app *app = run->app;
	struct app_board *b = run->b;
	struct strbuf err = STRBUF_INIT;
	struct esp32_test *t;

	if (!test_enabled(app->cfg))
		return false;
	t = xcalloc(1, sizeof *t);
	t->run = run;
	t->slot = slot;
	strbuf_init(&t->output);
	tail_init(&t->lines, TEST_TAIL_LINES);
	t->exit_code = app_job_output(job, &t->output);
	t->ok_message = xstrdup(message ? message : outcome_message(OUTCOME_OK));
	*slot = t;
	run->task = NULL; /* esptool's job is over */
	b->prog.phase = PHASE_TEST;
	t->ts = teststep_start(app->loop, app->cfg, run->port, &test_ops, t, &err);
	if (!t->ts) {
		open_failed(t, err.buf);
	} else {
		b->prog.deadline_ms = teststep_deadline(t->ts);
		log_msg(LOG_INFO, NULL, "slot %u: testing at %u baud for %llu s", run->slot,
			app->cfg->test_baud, (unsigned long long)app->cfg->test_timeout_ms / 1000);
		app_emit(app, b, APP_EV_PHASE);
	}
	strbuf_release(&err);
	return true;
}

void esp32_test_stop(struct esp32_test **slot, bool unplugged)
{
	struct esp32_test *t = *slot;
	struct strbuf msg = STRBUF_INIT;

	teststep_free(t->ts);
	t->ts = NULL;
	if (unplugged)
		strbuf_addf(&msg, "%s (gone at Test)", outcome_message(OUTCOME_UNPLUGGED));
	test_finish(t, unplugged ? OUTCOME_UNPLUGGED : OUTCOME_CANCELLED, msg.len ? msg.buf : NULL);
	strbuf_release(&msg);
}
