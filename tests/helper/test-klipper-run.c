/* test-klipper-run.c - drives the Klipper building blocks through the real
 * runner/job/loop code the way the engine will, for the shell tests.
 *
 *   test-klipper-run build [--no-clean] [--rebuild] KEY...
 *       per board, all boards in parallel: git describe, build cache lookup,
 *       make olddefconfig, [make clean], make -jN, artifact + klipper.dict
 *       check, cache store. Prints "KEY step ..." lines and "KEY result ...".
 *   test-klipper-run flash katapult|make KEY DEVICE
 *       flashes the board's last build with flashtool.py or make flash and
 *       the matching parser; prints "pct N" as the percent changes (partial
 *       lines included) and "outcome N message".
 *
 * Uses the normal configuration (XDG paths from tests/lib.sh).
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boards.h"
#include "config.h"
#include "klipper.h"
#include "loop.h"
#include "runner.h"
#include "xalloc.h"

static struct loop *L;
static struct runner *R;
static struct config cfg;
static struct boards boards;
static bool no_clean, rebuild;
static int pending, failures;

enum step { S_DESCRIBE, S_OLDDEF, S_CLEAN, S_BUILD, S_DONE };

struct bjob {
	const struct board *b;
	struct klipper_paths kp;
	enum step step;
	char tree_id[128];
};

static void next_step(struct bjob *j);

static void b_line(struct runner_task *t, enum job_stream s, const char *line, size_t len,
		   bool partial, void *data)
{
	struct bjob *j = data;

	(void)t;
	(void)len;
	if (j->step == S_DESCRIBE && s == JOB_STDOUT && !partial && !j->tree_id[0])
		klipper_describe_parse(line, j->tree_id, sizeof j->tree_id);
}

/* End of one board: print the result. */
static void finish(struct bjob *j, const char *what, const char *msg)
{
	printf("%s result %s%s%s\n", j->b->key, what, msg ? " " : "", msg ? msg : "");
	fflush(stdout);
	if (strcmp(what, "ok") && strcmp(what, "cached"))
		failures++;
	j->step = S_DONE;
	if (--pending == 0)
		loop_quit(L, 0);
}

/* After a successful build: check the artifact and store the cache record. */
static void after_build(struct bjob *j)
{
	struct klipper_kconfig kc;
	struct klipper_artifact a;
	struct strbuf err = STRBUF_INIT;
	enum outcome o = klipper_config_check(j->b, j->kp.config, &kc, &err);

	if (o == OUTCOME_OK)
		o = klipper_artifact_check(&j->kp, j->b->mcu, &kc, &a, &err);
	if (o != OUTCOME_OK) {
		finish(j, o == OUTCOME_MCU_MISMATCH ? "mcu_mismatch" : "build_failed", err.buf);
	} else {
		printf("%s artifact %s %llu %s %s\n", j->b->key, a.path, (unsigned long long)a.size,
		       a.sha256, a.dict_mcu);
		klipper_cache_store(&j->kp, j->tree_id, &a, &err);
		finish(j, "ok", NULL);
	}
	strbuf_release(&err);
}

/* After describe: the build cache (unless --rebuild); true on a hit. */
static bool cache_hit(struct bjob *j)
{
	struct strbuf why = STRBUF_INIT;
	struct klipper_artifact a;
	bool hit = !rebuild &&
		   klipper_cache_lookup(&j->kp, j->tree_id, &a, &why) == KLIPPER_CACHE_HIT;

	printf("%s tree %s\n", j->b->key, j->tree_id[0] ? j->tree_id : "unknown");
	if (hit) {
		printf("%s artifact %s %llu %s %s\n", j->b->key, a.path, (unsigned long long)a.size,
		       a.sha256, a.dict_mcu);
		finish(j, "cached", NULL);
	} else {
		printf("%s cache miss: %s\n", j->b->key, rebuild ? "--rebuild" : why.buf);
	}
	strbuf_release(&why);
	return hit;
}

static void b_done(struct runner_task *t, struct job *job, int err, void *data)
{
	struct bjob *j = data;
	static const char *const names[] = { "describe", "olddefconfig", "clean", "build" };
	const struct job_status *st = job ? job_status(job) : NULL;

	(void)t;
	printf("%s step %s exit=%d\n", j->b->key, names[j->step], st ? st->code : err);
	if (j->step != S_DESCRIBE && (!st || st->code)) {
		finish(j, "build_failed", names[j->step]);
		return;
	}
	if (j->step == S_BUILD) {
		after_build(j);
		return;
	}
	if (j->step == S_DESCRIBE && cache_hit(j))
		return;
	j->step++;
	if (j->step == S_CLEAN && no_clean && !klipper_cache_config_changed(&j->kp))
		j->step++;
	next_step(j);
}

/* Submit the job of the current step. */
static void next_step(struct bjob *j)
{
	static const struct runner_ops ops = { .line = b_line, .done = b_done };
	struct job_spec spec = JOB_SPEC_INIT;

	if (j->step == S_DESCRIBE)
		klipper_describe_spec(&j->kp, &spec);
	else if (j->step == S_OLDDEF)
		klipper_olddefconfig_spec(&j->kp, &spec);
	else if (j->step == S_CLEAN)
		klipper_clean_spec(&j->kp, &spec);
	else
		klipper_build_spec(&j->kp, klipper_make_jobs(&cfg), &spec);
	runner_submit(R, &spec, NULL, &ops, j);
}

/* Start one board: checks that need no job, then the describe step. */
static void start_board(struct bjob *j, const struct board *b)
{
	struct strbuf err = STRBUF_INIT;

	j->b = b;
	if (klipper_paths_init(&j->kp, &cfg, b, &err) || klipper_tree_check(&j->kp, &err) ||
	    klipper_config_check(b, j->kp.config, NULL, &err) != OUTCOME_OK) {
		pending++;
		finish(j, "refused", err.buf);
		strbuf_release(&err);
		return;
	}
	pending++;
	next_step(j);
	strbuf_release(&err);
}

static int cmd_build(int argc, char **argv)
{
	struct bjob *jobs = calloc((size_t)argc, sizeof *jobs);
	int n = 0;

	for (int i = 0; i < argc; i++) {
		const struct board *b;

		if (!strcmp(argv[i], "--no-clean")) {
			no_clean = true;
		} else if (!strcmp(argv[i], "--rebuild")) {
			rebuild = true;
		} else if ((b = boards_find(&boards, argv[i]))) {
			jobs[n++].b = b;
		} else {
			printf("no board %s\n", argv[i]);
			return 2;
		}
	}
	for (int i = 0; i < n; i++)
		start_board(&jobs[i], jobs[i].b);
	if (pending)
		loop_run(L);
	for (int i = 0; i < n; i++)
		klipper_paths_release(&jobs[i].kp);
	free(jobs);
	return failures ? 1 : 0;
}

/* ------------------------------------------------------------ flash */

/* Outcome names for the test output. */
static const char *oname(enum outcome o)
{
	return outcome_name(o);
}

struct fjob {
	const struct flasher *f;
	struct flash_progress p;
	int last_pct;
};

static void f_line(struct runner_task *t, enum job_stream s, const char *line, size_t len,
		   bool partial, void *data)
{
	struct fjob *j = data;

	(void)t;
	j->f->parse(&j->p, s, line, len, partial);
	if ((int)j->p.overall_pct != j->last_pct) {
		j->last_pct = (int)j->p.overall_pct;
		printf("pct %d%s\n", j->last_pct, partial ? " partial" : "");
	}
}

static void f_done(struct runner_task *t, struct job *job, int err, void *data)
{
	struct fjob *j = data;
	enum outcome o = job ? j->f->finish(&j->p, job_status(job)) : OUTCOME_TOOL_MISSING;

	(void)t;
	(void)err;
	printf("outcome %s %s\n", oname(o), j->p.message);
	printf("mcu %s\n", j->p.facts.mcu);
	failures = o != OUTCOME_OK;
	loop_quit(L, 0);
}

static int cmd_flash(int argc, char **argv)
{
	static const struct runner_ops ops = { .line = f_line, .done = f_done };
	struct job_spec spec = JOB_SPEC_INIT;
	struct fjob j = { .last_pct = -1 };
	struct klipper_paths kp;
	struct klipper_build_record rec;
	struct strbuf err = STRBUF_INIT;
	const struct board *b = argc == 3 ? boards_find(&boards, argv[1]) : NULL;
	char *artifact;

	if (!b || klipper_paths_init(&kp, &cfg, b, &err) || klipper_last_build(&kp, &rec)) {
		printf("usage: flash katapult|make KEY DEVICE (a built board) %s\n", err.buf);
		return 2;
	}
	artifact = xasprintf("%s%s", kp.out, rec.artifact);
	j.f = !strcmp(argv[0], "katapult") ? &flasher_katapult : &flasher_make_flash;
	j.f->spec(&(struct flash_request){ .port = argv[2], .kp = &kp, .python = cfg.python,
					   .tool_dir = cfg.katapult_dir, .artifact = artifact,
					   .timeout_ms = cfg.klipper_flash_timeout_ms },
		  &spec);
	runner_submit(R, &spec, argv[2], &ops, &j);
	loop_run(L);
	free(artifact);
	klipper_paths_release(&kp);
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct strbuf err = STRBUF_INIT, warn = STRBUF_INIT;
	int r;

	config_init(&cfg);
	if (argc < 3 || config_load(&cfg, NULL, &err, &warn)) {
		fprintf(stderr, "usage: test-klipper-run build|flash ... %s", err.buf);
		return 2;
	}
	boards_init(&boards, cfg.boards_file);
	if (boards_load(&boards, &err)) {
		fputs(err.buf, stderr);
		return 2;
	}
	L = loop_new();
	R = runner_new(L, 8);
	if (!strcmp(argv[1], "build"))
		r = cmd_build(argc - 2, argv + 2);
	else
		r = cmd_flash(argc - 2, argv + 2);
	runner_free(R);
	loop_free(L);
	boards_release(&boards);
	config_release(&cfg);
	strbuf_release(&err);
	strbuf_release(&warn);
	return r;
}
