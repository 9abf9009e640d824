/* klipper-menuconfig.c - `make menuconfig` for a registered board, the one
 * workflow every view uses: seed a missing configuration for the board's MCU,
 * snapshot it, run the interactive job, remove a seed that was not saved, and
 * check the MCU. The result is data: `board menuconfig` and `board flash
 * --menuconfig` print it, the dashboard logs it. */
#include "autoconf.h"

#include "klipper.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boards.h"
#include "job.h"
#include "loop.h"
#include "xalloc.h"

struct klipper_menuconfig {
	struct board board; /* key and mcu: what the MCU check needs */
	struct klipper_paths kp;
	struct klipper_snapshot snap;
	bool seeded;        /* the configuration was written here, for this run */
};

/* Free a menuconfig context. */
static void mc_free(struct klipper_menuconfig *mc)
{
	klipper_paths_release(&mc->kp);
	klipper_snapshot_release(&mc->snap);
	free(mc->board.key);
	free(mc->board.mcu);
	free(mc);
}

struct klipper_menuconfig *klipper_menuconfig_begin(const struct config *cfg,
						    const struct board *b,
						    struct job_spec *spec, struct strbuf *why)
{
	struct klipper_menuconfig *mc = xcalloc(1, sizeof *mc);

	mc->board.key = xstrdup(b->key);
	mc->board.mcu = xstrdup(b->mcu);
	strbuf_init(&mc->snap.data);
	if (klipper_paths_init(&mc->kp, cfg, b, why) || klipper_tree_check(&mc->kp, why)) {
		mc_free(mc);
		return NULL;
	}
	/* a seed, so make does not start on Klipper's AVR default */
	mc->seeded = klipper_config_seed(&mc->kp, b->mcu) > 0;
	klipper_snapshot_release(&mc->snap);
	klipper_snapshot_take(&mc->snap, mc->kp.config);
	klipper_menuconfig_spec(&mc->kp, spec);
	return mc;
}

const char *klipper_menuconfig_path(const struct klipper_menuconfig *mc)
{
	return mc->kp.config;
}

void klipper_menuconfig_end(struct klipper_menuconfig *mc, int status,
			    struct klipper_menuconfig_result *res)
{
	const char *path = mc->kp.config;

	memset(res, 0, sizeof *res);
	strbuf_init(&res->check);
	strbuf_init(&res->error);
	res->key = xstrdup(mc->board.key);
	res->mcu = xstrdup(mc->board.mcu);
	res->config = xstrdup(path);
	res->status = status;
	res->saved = klipper_snapshot_changed(&mc->snap, path);
	res->discarded = mc->seeded && !res->saved;
	if (res->discarded)
		unlink(path);
	else
		res->mcu_ok = klipper_config_check(&mc->board, path, NULL, &res->check) ==
			      OUTCOME_OK;
	mc_free(mc);
}

void klipper_menuconfig_result_release(struct klipper_menuconfig_result *res)
{
	free(res->key);
	free(res->mcu);
	free(res->config);
	strbuf_release(&res->check);
	strbuf_release(&res->error);
	memset(res, 0, sizeof *res);
}

/* A menuconfig job run in the foreground until it ends. */
struct mc_run {
	struct loop *loop;
	struct job_status st;
};

/* The menuconfig job ended: keep its status, leave the loop. */
static void mc_done(struct job *job, void *data)
{
	struct mc_run *m = data;

	m->st = *job_status(job);
	job_free(job);
	loop_quit(m->loop, 0);
}

/* Run spec on loop until it ends; its exit code, or -errno (err says why). */
static int mc_run_job(struct loop *loop, struct job_spec *spec, struct strbuf *err)
{
	static const struct job_ops ops = { .done = mc_done };
	struct mc_run m = { .loop = loop };
	struct job *job;
	int r = job_start(loop, spec, &ops, &m, &job);

	if (r) {
		job_spawn_error(err, spec->argv.v[0], r);
		return r;
	}
	loop_run(loop);
	return m.st.code;
}

int klipper_menuconfig_run(struct loop *loop, const struct config *cfg, const struct board *b,
			   struct klipper_menuconfig_result *res, struct strbuf *why)
{
	struct job_spec spec = JOB_SPEC_INIT;
	struct strbuf err = STRBUF_INIT;
	struct loop *own = loop ? NULL : loop_new();
	struct klipper_menuconfig *mc = klipper_menuconfig_begin(cfg, b, &spec, why);
	int status;

	if (mc) {
		status = mc_run_job(loop ? loop : own, &spec, &err);
		klipper_menuconfig_end(mc, status, res);
		strbuf_add(&res->error, err.buf, err.len);
	}
	if (own)
		loop_free(own);
	strbuf_release(&err);
	job_spec_release(&spec);
	return mc ? 0 : -EINVAL;
}
