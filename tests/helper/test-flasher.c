/* test-flasher.c - the esptool side end to end, for the shell tests.
 *
 *   test-flasher --replay PREFIX (--v4|--v5) [--sizes N,N...]
 *       feed PREFIX.stdout/.stderr/.rc through the line splitter
 *   test-flasher --flash [--esptool CMD] --port P [--baud B] [--chip C]
 *       [--before X] [--after Y] [--connect-attempts N] [--erase-all]
 *       [--flash-mode M] [--flash-freq F] [--flash-size S]
 *       [--image 0xOFF=FILE]... [--flash-args FILE] [--timeout MS]
 *       resolve esptool on PATH, detect its version with a job, build the
 *       flash argv and run it as a job (job.c, lines.c, loop.c), parsing
 *       every line as the engine would.
 *
 * Both print the same "key=value" facts, one per line, so a shell test can
 * compare a run of the fake esptool with the real transcripts.
 */
#include "autoconf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esptool.h"
#include "files.h"
#include "firmware.h"
#include "flasher.h"
#include "lines.h"
#include "loop.h"
#include "xalloc.h"

struct run {
	const struct flasher *fl;
	struct flash_progress p;
	bool monotonic;
	struct esptool *tool; /* set while detecting the version */
	struct job_status st;
	struct loop *loop;
};

/* One line into the parser (or the version detector). */
static void feed(struct run *r, enum job_stream s, const char *line, size_t len, bool partial)
{
	double before = r->p.overall_pct;

	if (r->tool) {
		if (!partial)
			esptool_parse_version(r->tool, line);
		return;
	}
	r->fl->parse(&r->p, s, line, len, partial);
	if (r->p.overall_pct < before)
		r->monotonic = false;
}

static void print_facts(struct run *r, enum outcome o)
{
	const struct flash_progress *p = &r->p;

	printf("outcome=%s\nmessage=%s\nphase=%s\nimages=%d\nimage=%d\nwrote=%d\nverified=%d\n",
	       outcome_name(o), p->message, phase_name(p->phase), p->images, p->image,
	       esptool_progress_wrote(p), p->verified);
	printf("bytes=%llu\noverall=%.0f\nmonotonic=%d\ncomplete=%d\n",
	       (unsigned long long)p->bytes_written, p->overall_pct, r->monotonic, p->complete);
	printf("chip=%s\nrevision=%s\nfeatures=%s\ncrystal=%s\nmac=%s\ntool_version=%s\n",
	       p->facts.chip, p->facts.revision, p->facts.features, p->facts.crystal, p->facts.mac,
	       p->facts.tool_version);
	printf("exit=%d\nkbps=%.1f\n", r->st.code, p->kbps);
}

/* "26627,1048576" -> sizes; returns the count. */
static int parse_sizes(const char *s, uint64_t *sizes, int max)
{
	int n = 0;

	while (s && *s && n < max) {
		sizes[n++] = strtoull(s, (char **)&s, 10);
		if (*s == ',')
			s++;
	}
	return n;
}

/* lines_cb for --replay. */
struct replay_ctx {
	struct run *r;
	enum job_stream s;
};

static void replay_line(const char *line, size_t len, bool partial, void *data)
{
	struct replay_ctx *c = data;

	feed(c->r, c->s, line, len, partial);
}

static int replay(const char *prefix, const struct flasher *fl, int n, const uint64_t *sizes)
{
	static const char *const ext[2] = { "stdout", "stderr" };
	struct run r = { .fl = fl, .monotonic = true };
	struct strbuf sb = STRBUF_INIT;
	char path[4096];

	flash_progress_init(&r.p, n, n ? sizes : NULL);
	for (int s = 0; s < 2; s++) {
		struct replay_ctx c = { &r, (enum job_stream)s };
		struct lines ls;

		snprintf(path, sizeof path, "%s.%s", prefix, ext[s]);
		strbuf_reset(&sb);
		if (read_file(path, &sb)) {
			fprintf(stderr, "test-flasher: cannot read %s\n", path);
			return 2;
		}
		lines_init(&ls, 4096);
		lines_feed(&ls, sb.buf, sb.len, replay_line, &c);
		lines_flush(&ls, replay_line, &c);
		lines_release(&ls);
	}
	snprintf(path, sizeof path, "%s.rc", prefix);
	strbuf_reset(&sb);
	read_file(path, &sb);
	r.st.exited = true;
	r.st.code = atoi(sb.buf);
	print_facts(&r, fl->finish(&r.p, &r.st));
	strbuf_release(&sb);
	return 0;
}

static void job_line(struct job *job, enum job_stream s, const char *line, size_t len,
		     bool partial, void *data)
{
	(void)job;
	feed(data, s, line, len, partial);
}

static void job_done(struct job *job, void *data)
{
	struct run *r = data;

	r->st = *job_status(job);
	job_free(job);
	loop_quit(r->loop, 0);
}

/* Run spec as a job to the end; -errno if it could not start. */
static int run_job(struct run *r, struct job_spec *spec)
{
	static const struct job_ops ops = { job_line, job_done };
	struct job *job;
	struct strbuf msg = STRBUF_INIT;
	int err = job_start(r->loop, spec, &ops, r, &job);

	if (err) {
		job_spawn_error(&msg, spec->argv.v[0], err);
		printf("outcome=tool_missing\nmessage=%s\n", msg.buf);
		strbuf_release(&msg);
		return err;
	}
	loop_run(r->loop);
	return 0;
}

struct flash_opts {
	const char *esptool;
	struct flash_request req;
	struct firmware fw;
	uint64_t timeout;
};

/* Parse --flash options; returns 0 or prints the error and returns 2. */
static int parse_flash_opts(int argc, char **argv, struct flash_opts *o)
{
	struct strbuf err = STRBUF_INIT;
	int r = 0;

	for (int i = 2; !r && i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "";

		if (!strcmp(a, "--erase-all")) {
			o->req.erase_all = true;
			continue;
		}
		i++;
		if (!strcmp(a, "--esptool"))
			o->esptool = v;
		else if (!strcmp(a, "--port"))
			o->req.port = v;
		else if (!strcmp(a, "--baud"))
			o->req.baud = (unsigned)atoi(v);
		else if (!strcmp(a, "--chip"))
			o->req.chip = v;
		else if (!strcmp(a, "--before"))
			o->req.before = v;
		else if (!strcmp(a, "--after"))
			o->req.after = v;
		else if (!strcmp(a, "--connect-attempts"))
			o->req.connect_attempts = (unsigned)atoi(v);
		else if (!strcmp(a, "--flash-mode"))
			o->req.flash_mode = v;
		else if (!strcmp(a, "--flash-freq"))
			o->req.flash_freq = v;
		else if (!strcmp(a, "--flash-size"))
			o->req.flash_size = v;
		else if (!strcmp(a, "--timeout"))
			o->timeout = strtoull(v, NULL, 10);
		else if (!strcmp(a, "--image"))
			r = firmware_add_image_arg(&o->fw, v, &err);
		else if (!strcmp(a, "--flash-args"))
			r = firmware_load_flash_args(&o->fw, v, &err);
		else {
			strbuf_addf(&err, "unknown option %s", a);
			r = -EINVAL;
		}
	}
	if (!r && o->fw.n)
		r = firmware_finalize(&o->fw, &err);
	if (r) {
		printf("outcome=config\nmessage=%s\n", err.buf);
		strbuf_release(&err);
		return 2;
	}
	strbuf_release(&err);
	return 0;
}

/* Detect the version: run `esptool version` and read its lines. */
static int detect(struct run *r, struct esptool *t)
{
	struct job_spec spec = JOB_SPEC_INIT;
	int err;

	esptool_version_spec(t, &spec);
	r->tool = t;
	err = run_job(r, &spec);
	r->tool = NULL;
	job_spec_release(&spec);
	if (err)
		return 2;
	if (!t->major) {
		printf("outcome=other\nmessage=no version in the output of '%s version'\n",
		       t->cmd.v[0]);
		return 2;
	}
	printf("version=%s\nmajor=%d\n", t->version, t->major);
	return 0;
}

static int flash(int argc, char **argv)
{
	struct flash_opts o = { .req = { .baud = 460800, .chip = "auto" } };
	struct run r = { .monotonic = true };
	struct esptool t;
	struct job_spec spec = JOB_SPEC_INIT;
	struct strbuf err = STRBUF_INIT;
	char *joined;
	int code = 0;

	firmware_init(&o.fw);
	esptool_init(&t);
	r.loop = loop_new();
	if (parse_flash_opts(argc, argv, &o))
		code = 2;
	else if (esptool_resolve(&t, o.esptool, &err)) {
		printf("outcome=tool_missing\nmessage=%s\n", err.buf);
		code = 2;
	} else if (!(code = detect(&r, &t))) {
		o.req.fw = &o.fw;
		o.req.tool = &t.cmd;
		o.req.timeout_ms = o.timeout;
		r.fl = esptool_flasher(&t);
		r.fl->spec(&o.req, &spec);
		joined = strvec_join(&spec.argv, " ");
		printf("argv=%s\n", joined + strlen(t.cmd.v[0]) + 1);
		free(joined);
		printf("flasher=%s\n", r.fl->name);
		flash_progress_init(&r.p, (int)o.fw.n, o.fw.sizes);
		if (!run_job(&r, &spec))
			print_facts(&r, r.st.timed_out ? OUTCOME_TIMEOUT : r.fl->finish(&r.p, &r.st));
	}
	job_spec_release(&spec);
	esptool_release(&t);
	firmware_release(&o.fw);
	strbuf_release(&err);
	loop_free(r.loop);
	return code;
}

int main(int argc, char **argv)
{
	uint64_t sizes[16];
	int n = 0;
	const struct flasher *fl = NULL;
	const char *prefix = NULL;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && !strcmp(argv[1], "--flash"))
		return flash(argc, argv);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--replay") && i + 1 < argc)
			prefix = argv[++i];
		else if (!strcmp(argv[i], "--v4"))
			fl = &flasher_esptool_v4;
		else if (!strcmp(argv[i], "--v5"))
			fl = &flasher_esptool_v5;
		else if (!strcmp(argv[i], "--sizes") && i + 1 < argc)
			n = parse_sizes(argv[++i], sizes, 16);
	}
	if (!prefix || !fl) {
		fprintf(stderr, "usage: test-flasher --replay PREFIX (--v4|--v5) [--sizes N,N]\n"
				"       test-flasher --flash --port P [options]\n");
		return 2;
	}
	return replay(prefix, fl, n, sizes);
}
