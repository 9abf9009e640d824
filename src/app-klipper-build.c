/* app-klipper-build.c - the build step of the Klipper plan: each board's
 * paths, tree and configuration checked, then git describe, the build cache,
 * make olddefconfig, clean and the build (KLIPPER_BUILDS_AT_ONCE boards at a
 * time, make -j sharing the cores), the artifact checked and the flash
 * method chosen for it. */
#include "autoconf.h"

#include "app-klipper.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "str.h"

/* ------------------------------------------------------------ config */

bool kb_config(struct kboard *k)
{
	struct strbuf err = STRBUF_INIT;
	enum outcome o = OUTCOME_OTHER;

	kb_phase(k, PHASE_CONFIG);
	if (!klipper_paths_init(&k->kp, k->batch->app->cfg, k->reg, &err) &&
	    !klipper_tree_check(&k->kp, &err))
		o = klipper_config_check(k->reg, k->kp.config, &k->kc, &err);
	if (o != OUTCOME_OK)
		kb_finish(k, o, err.buf, NULL);
	else
		kb_note(k->batch, k, PHASE_CONFIG, LOG_INFO, "%s (CONFIG_MCU %s, builds %s)",
			k->kp.config, k->kc.mcu, k->kc.artifact);
	strbuf_release(&err);
	return o == OUTCOME_OK;
}

/* make -jN for the next build: the cores shared by the builds that may run at once. */
static unsigned kb_make_jobs(struct kboard *k)
{
	const struct config *cfg = k->batch->app->cfg;
	size_t pending = 0;
	unsigned cores = klipper_make_jobs(cfg);

	if (cfg->make_jobs)
		return cfg->make_jobs;
	for (size_t i = 0; i < k->batch->n; i++)
		pending += k->batch->v[i]->step >= KS_DESCRIBE && k->batch->v[i]->step <= KS_BUILD;
	if (pending > KLIPPER_BUILDS_AT_ONCE)
		pending = KLIPPER_BUILDS_AT_ONCE;
	return pending > 1 && cores / pending ? cores / (unsigned)pending : cores;
}

/* ------------------------------------------------------------ the build jobs */

/* A line of a build step: the log file, the tree id from git describe. */
static void build_line(struct runner_task *t, enum job_stream s, const char *line, size_t len,
		       bool partial, void *data)
{
	struct kboard *k = data;

	(void)t;
	(void)len;
	if (partial)
		return;
	attempt_output(&k->at, s, line);
	if (k->step == KS_DESCRIBE && s == JOB_STDOUT && !k->tree_id[0])
		klipper_describe_parse(line, k->tree_id, sizeof k->tree_id);
	if (log_verbosity() > 0)
		log_msg(LOG_INFO, NULL, "[%s] %s", k->pub.key, line);
}

/* The artifact is there (built or cached): decide how it will be flashed. */
static void kb_built(struct kboard *k)
{
	const struct klipper_artifact *a = &k->pub.art;
	const struct config *cfg = k->batch->app->cfg;
	enum board_method m = k->reg->method;
	bool possible = !strcmp(a->name, "klipper.bin") && k->kc.has_bootloader;

	k->step = KS_BUILT;
	k->pub.built = true;
	if (k->batch->opts.flash)
		kb_note(k->batch, k, PHASE_BUILD, LOG_INFO, "%s%s, %llu bytes, sha256 %s%s",
			k->kp.out, a->name, (unsigned long long)a->size, a->sha256,
			k->pub.cached ? " (cached)" : "");
	if (m == BOARD_METHOD_DEFAULT)
		m = cfg->default_method && !strcmp(cfg->default_method, "make_flash") ?
			BOARD_METHOD_MAKE_FLASH : BOARD_METHOD_DEFAULT;
	k->katapult = m != BOARD_METHOD_MAKE_FLASH && possible;
	k->may_fall_back = m == BOARD_METHOD_DEFAULT;
	if (k->batch->opts.flash && m == BOARD_METHOD_KATAPULT && !possible) {
		struct strbuf msg = STRBUF_INIT;

		strbuf_addf(&msg, "board '%s' is set to method katapult, but its build is %s%s: ",
			    k->pub.key, a->name,
			    k->kc.has_bootloader ? "" : " without a bootloader offset");
		strbuf_addf(&msg, "Katapult only writes a klipper.bin built for a bootloader; set "
			    "method = default or make_flash, or choose a bootloader offset in: "
			    "flashbay board menuconfig %s", k->pub.key);
		kb_finish(k, OUTCOME_OTHER, msg.buf, NULL);
		strbuf_release(&msg);
	}
}

/* After git describe: the build cache (unless --rebuild); true on a hit. */
static bool kb_cache_hit(struct kboard *k)
{
	struct strbuf why = STRBUF_INIT;
	bool hit;

	if (!k->tree_id[0] && klipper_tree_head(k->kp.tree, k->tree_id, sizeof k->tree_id))
		k->tree_id[0] = '\0';
	hit = !k->batch->opts.rebuild &&
	      klipper_cache_lookup(&k->kp, k->tree_id, &k->pub.art, &why) == KLIPPER_CACHE_HIT;
	k->pub.cached = hit;
	snprintf(k->pub.cache_why, sizeof k->pub.cache_why, "%s",
		 hit ? "" : k->batch->opts.rebuild ? "--rebuild" : why.buf);
	if (hit)
		kb_built(k);
	else
		kb_note(k->batch, k, PHASE_BUILD, LOG_INFO, "building (%s)", k->pub.cache_why);
	strbuf_release(&why);
	return hit;
}

/* After the build: check the artifact and store the cache record. */
static void kb_after_build(struct kboard *k, const struct job *job)
{
	struct strbuf err = STRBUF_INIT;
	enum outcome o = klipper_config_check(k->reg, k->kp.config, &k->kc, &err);

	if (o == OUTCOME_OK)
		o = klipper_artifact_check(&k->kp, k->pub.mcu, &k->kc, &k->pub.art, &err);
	if (o == OUTCOME_OK && klipper_cache_store(&k->kp, k->tree_id, &k->pub.art, &err))
		kb_note(k->batch, k, PHASE_BUILD, LOG_WARN, "%s (the next build cannot be skipped)",
			err.buf);
	if (o == OUTCOME_OK)
		kb_built(k);
	else
		kb_finish(k, o, err.buf, job);
	strbuf_release(&err);
}

/* The line of a failed make worth quoting: the first compiler error, else
 * make's first complaint, else the last line. */
static const char *make_error_line(const struct tail *t)
{
	size_t n = tail_count(t);

	for (size_t i = 0; i < n; i++)
		if (strstr(tail_get(t, i), "error:") || strstr(tail_get(t, i), "Error:"))
			return tail_get(t, i);
	for (size_t i = 0; i < n; i++)
		if (str_starts_with(tail_get(t, i), "make: ***") &&
		    !strstr(tail_get(t, i), "Waiting for unfinished jobs"))
			return tail_get(t, i);
	return n ? tail_get(t, n - 1) : NULL;
}

/* A make step failed: the message names the step and make's last words. */
static void kb_make_failed(struct kboard *k, const struct job *job, int err)
{
	const char *target = k->step == KS_OLDDEF ? " olddefconfig" : k->step == KS_CLEAN ?
			     " clean" : "";
	const struct job_status *st = job ? job_status(job) : NULL;
	const struct tail *t = job ? job_tail(job) : NULL;
	struct strbuf msg = STRBUF_INIT;
	enum outcome o = OUTCOME_BUILD_FAILED;

	if (err) {
		job_spawn_error(&msg, k->kp.make.v[0], err);
		o = OUTCOME_TOOL_MISSING;
	} else if (st->timed_out) {
		strbuf_addf(&msg, "make%s in %s timed out after %llu s", target, k->kp.tree,
			    (unsigned long long)k->kp.build_timeout_ms / 1000);
		o = OUTCOME_TIMEOUT;
	} else {
		strbuf_addf(&msg, "make%s failed (exit %d)", target, st->code);
		if (make_error_line(t))
			strbuf_addf(&msg, ": %s", make_error_line(t));
	}
	kb_finish(k, o, msg.buf, job);
	strbuf_release(&msg);
}

/* A build step ended: the next step, the cache, or the board's end. */
static void build_done(struct runner_task *t, struct job *job, int err, void *data)
{
	struct kboard *k = data;
	const struct job_status *st = job ? job_status(job) : NULL;

	(void)t;
	k->task = NULL;
	if (err == -ECANCELED || (st && st->cancelled) || k->cancel) {
		kb_finish(k, OUTCOME_CANCELLED, "cancelled while building", job);
	} else if (k->step == KS_DESCRIBE) {
		/* no git or no repository: the tree id comes from .git, or none */
		if (!kb_cache_hit(k)) {
			k->step = KS_OLDDEF;
			kb_build_submit(k);
		}
	} else if (err || st->timed_out || st->code) {
		kb_make_failed(k, job, err);
	} else if (k->batch->leaving && k->step != KS_BUILD) {
		kb_finish(k, OUTCOME_CANCELLED, "not built: flashbay is shutting down", job);
	} else if (k->step == KS_OLDDEF) {
		struct strbuf msg = STRBUF_INIT;
		enum outcome o = klipper_config_check(k->reg, k->kp.config, &k->kc, &msg);

		if (o != OUTCOME_OK) {
			kb_finish(k, o, msg.buf, job);
		} else {
			k->step = k->batch->opts.no_clean && !klipper_cache_config_changed(&k->kp) ?
					  KS_BUILD : KS_CLEAN;
			kb_build_submit(k);
		}
		strbuf_release(&msg);
	} else if (k->step == KS_CLEAN) {
		k->step = KS_BUILD;
		kb_build_submit(k);
	} else {
		kb_after_build(k, job);
	}
	batch_advance(k->batch);
}

static const struct runner_ops build_ops = { NULL, build_line, build_done };

void kb_build_submit(struct kboard *k)
{
	struct job_spec spec = JOB_SPEC_INIT;

	if (k->step == KS_DESCRIBE)
		klipper_describe_spec(&k->kp, &spec);
	else if (k->step == KS_OLDDEF)
		klipper_olddefconfig_spec(&k->kp, &spec);
	else if (k->step == KS_CLEAN)
		klipper_clean_spec(&k->kp, &spec);
	else
		klipper_build_spec(&k->kp, kb_make_jobs(k), &spec);
	if (k->step == KS_BUILD)
		kb_phase(k, PHASE_BUILD);
	kb_log_spec(k, &spec);
	spec.tail_lines = 40;
	k->task = runner_submit(k->batch->builds, &spec, NULL, &build_ops, k);
}
