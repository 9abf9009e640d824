/* klipper.c - per-board config cache, MCU check and make job specs. */
#include "autoconf.h"

#include "klipper.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "boards.h"
#include "config.h"
#include "files.h"
#include "host.h"
#include "parse.h"
#include "path.h"
#include "str.h"
#include "xalloc.h"

/* ------------------------------------------------------------ paths */

char *klipper_config_dir(const struct config *cfg, const char *key)
{
	return xasprintf("%s/%s", cfg->configs_dir, key);
}

char *klipper_config_path(const struct config *cfg, const char *key)
{
	return xasprintf("%s/%s/.config", cfg->configs_dir, key);
}

char *klipper_build_dir(const struct config *cfg, const char *key)
{
	size_t n = strlen(cfg->build_dir);

	/* OUT= is pasted in front of file names: it must end with '/' */
	return xasprintf("%.*s/%s/", (int)(n && cfg->build_dir[n - 1] == '/' ? n - 1 : n),
			 cfg->build_dir, key);
}

int klipper_path_check(const char *what, const char *path, struct strbuf *err)
{
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\n') {
			strbuf_addf(err, "%s '%s' contains a space: Klipper's make cannot build with it "
				    "(it recurses forever); use a path without spaces",
				    what, path);
			return -EINVAL;
		}
		if (*p < ' ' || *p == 0x7f || strchr("$:%#\\\"'`", *p)) {
			strbuf_addf(err, "%s '%s' contains '%c', which Klipper's make cannot handle; "
				    "use a path without it", what, path, *p >= ' ' ? *p : '?');
			return -EINVAL;
		}
	}
	return 0;
}

int klipper_paths_init(struct klipper_paths *kp, const struct config *cfg, const struct board *b,
		       struct strbuf *err)
{
	memset(kp, 0, sizeof *kp);
	strvec_init(&kp->make);
	kp->key = xstrdup(b->key);
	kp->tree = xstrdup(b->klipper_dir_path ? b->klipper_dir_path : cfg->klipper_dir);
	kp->config = klipper_config_path(cfg, b->key);
	kp->out = klipper_build_dir(cfg, b->key);
	strvec_split(&kp->make, cfg->make ? cfg->make : "make", " \t");
	if (!kp->make.n)
		strvec_push(&kp->make, "make");
	kp->build_timeout_ms = cfg->build_timeout_ms;
	kp->flash_timeout_ms = cfg->klipper_flash_timeout_ms;
	if (klipper_path_check("Klipper tree", kp->tree, err) ||
	    klipper_path_check("board config", kp->config, err) ||
	    klipper_path_check("build folder", kp->out, err))
		return -EINVAL;
	return 0;
}

void klipper_paths_release(struct klipper_paths *kp)
{
	free(kp->key);
	free(kp->tree);
	free(kp->config);
	free(kp->out);
	strvec_release(&kp->make);
	memset(kp, 0, sizeof *kp);
	strvec_init(&kp->make);
}

/* ------------------------------------------------------------ .config files */

/* Copy a Kconfig value (quoted with backslash escapes, or bare) into out. */
static void kconfig_value(const char *v, char *out, size_t size)
{
	size_t n = 0;

	if (*v == '"') {
		for (v++; *v && *v != '"' && n + 1 < size; v++) {
			if (*v == '\\' && v[1])
				v++;
			out[n++] = *v;
		}
	} else {
		for (; *v && *v != '\n' && *v != '\r' && n + 1 < size; v++)
			out[n++] = *v;
	}
	out[n] = '\0';
}

/* Values of one .config kept while reading it. */
struct kc_read {
	bool mach_linux, mach_avr, stage2;
	char boot[24], app[24];
};

/* Look at one "CONFIG_NAME=value" line. */
static void kconfig_line(struct klipper_kconfig *kc, struct kc_read *r, const char *name,
			 const char *v)
{
	kc->lines++;
	if (!strcmp(name, "MCU"))
		kconfig_value(v, kc->mcu, sizeof kc->mcu);
	else if (!strcmp(name, "BOARD_DIRECTORY"))
		kconfig_value(v, kc->board_dir, sizeof kc->board_dir);
	else if (!strcmp(name, "USB_MANUFACTURER"))
		kconfig_value(v, kc->usb_manufacturer, sizeof kc->usb_manufacturer);
	else if (!strcmp(name, "USB_PRODUCT"))
		kconfig_value(v, kc->usb_product, sizeof kc->usb_product);
	else if (!strcmp(name, "FLASH_BOOT_ADDRESS"))
		kconfig_value(v, r->boot, sizeof r->boot);
	else if (!strcmp(name, "FLASH_APPLICATION_ADDRESS"))
		kconfig_value(v, r->app, sizeof r->app);
	else if (!strcmp(name, "MACH_LINUX"))
		r->mach_linux = *v == 'y';
	else if (!strcmp(name, "MACH_AVR"))
		r->mach_avr = *v == 'y';
	else if (str_starts_with(name, "RP") && str_ends_with(name, "_HAVE_STAGE2"))
		r->stage2 = *v == 'y';
}

/* Derived facts once every line is read. */
static void kconfig_finish(struct klipper_kconfig *kc, const struct kc_read *r)
{
	const char *art = "klipper.bin";

	if (!kc->mcu[0] && r->mach_linux)
		snprintf(kc->mcu, sizeof kc->mcu, "linux");
	if (r->mach_linux)
		art = "klipper.elf";
	else if (r->mach_avr)
		art = "klipper.elf.hex";
	else if (r->stage2)
		art = "klipper.uf2";
	snprintf(kc->artifact, sizeof kc->artifact, "%s", art);
	kc->has_bootloader = r->boot[0] && r->app[0] && strcasecmp(r->boot, r->app);
}

int klipper_kconfig_read(const char *path, struct klipper_kconfig *kc, struct strbuf *err)
{
	struct strbuf text = STRBUF_INIT;
	struct kc_read r = { 0 };
	int ret = read_file(path, &text);

	memset(kc, 0, sizeof *kc);
	if (ret) {
		if (ret != -ENOENT)
			strbuf_addf(err, "cannot read '%s': %s", path, strerror(-ret));
		strbuf_release(&text);
		return ret;
	}
	for (char *line = text.buf, *next; line && *line; line = next) {
		char *eq;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		eq = strchr(line, '=');
		if (str_starts_with(line, "CONFIG_") && eq) {
			*eq = '\0';
			kconfig_line(kc, &r, line + 7, eq + 1);
		}
	}
	strbuf_release(&text);
	kconfig_finish(kc, &r);
	if (!kc->lines) {
		strbuf_addf(err, "'%s' is not a Klipper configuration (no CONFIG_ lines)", path);
		return -EINVAL;
	}
	if (!kc->mcu[0]) {
		strbuf_addf(err, "'%s' names no MCU (no CONFIG_MCU line)", path);
		return -EINVAL;
	}
	return 0;
}

bool klipper_mcu_matches(const char *board_mcu, const char *config_mcu)
{
	char a[64], b[64];

	board_mcu_base(board_mcu, a, sizeof a);
	board_mcu_base(config_mcu, b, sizeof b);
	return a[0] && !strcmp(a, b);
}

enum outcome klipper_config_check(const struct board *b, const char *path,
				  struct klipper_kconfig *kc, struct strbuf *err)
{
	struct klipper_kconfig local;
	struct strbuf msg = STRBUF_INIT;
	int r;

	if (!kc)
		kc = &local;
	r = klipper_kconfig_read(path, kc, &msg);
	if (r == -ENOENT) {
		strbuf_addf(err, "board '%s' has no Klipper configuration yet ('%s'); "
			    "create it with: flashbay board menuconfig %s", b->key, path, b->key);
		return OUTCOME_CONFIG_MISSING;
	}
	if (r) {
		strbuf_addf(err, "board '%s': %s; fix it with: flashbay board menuconfig %s", b->key,
			    msg.buf, b->key);
		strbuf_release(&msg);
		return r == -EINVAL ? OUTCOME_CONFIG_MISSING : OUTCOME_OTHER;
	}
	strbuf_release(&msg);
	if (!klipper_mcu_matches(b->mcu, kc->mcu)) {
		strbuf_addf(err, "board '%s' is registered as mcu %s but its configuration '%s' is for "
			    "%s (CONFIG_MCU); fix it with: flashbay board menuconfig %s (choose the "
			    "%s processor), or register the board again with the right --mcu",
			    b->key, b->mcu, path, kc->mcu, b->key, b->mcu);
		return OUTCOME_MCU_MISMATCH;
	}
	return OUTCOME_OK;
}

/* STM32 model from an mcu name: "stm32h723xx" -> "H723". */
static bool stm32_model(const char *base, char *out, size_t size)
{
	size_t n = 0;

	if (!str_starts_with(base, "stm32") || !base[5])
		return false;
	for (const char *p = base + 5; *p && n + 1 < size; p++)
		out[n++] = (char)toupper((unsigned char)*p);
	out[n] = '\0';
	return true;
}

void klipper_seed_config(const char *mcu, struct strbuf *out)
{
	char base[64], model[32];

	board_mcu_base(mcu, base, sizeof base);
	if (stm32_model(base, model, sizeof model)) {
		strbuf_addf(out, "CONFIG_MACH_STM32=y\nCONFIG_MACH_STM32%s=y\n", model);
	} else if (!strcmp(base, "rp2040") || !strcmp(base, "rp2350")) {
		strbuf_addf(out, "CONFIG_MACH_RPXXXX=y\nCONFIG_MACH_RP%s=y\n", base + 2);
	} else if (str_starts_with(base, "atmega") || str_starts_with(base, "at90usb")) {
		strbuf_addf(out, "CONFIG_MACH_AVR=y\nCONFIG_MACH_%s=y\n", base);
	} else if (str_starts_with(base, "lpc17")) {
		strbuf_addf(out, "CONFIG_MACH_LPC176X=y\nCONFIG_MACH_%s=y\n", base);
	} else if (!strcmp(base, "linux")) {
		strbuf_addstr(out, "CONFIG_MACH_LINUX=y\n");
	}
}

int klipper_config_seed(const struct klipper_paths *kp, const char *mcu)
{
	struct strbuf seed = STRBUF_INIT;
	char *dir;
	int r;

	if (access(kp->config, F_OK) == 0 || errno != ENOENT)
		return 0;
	klipper_seed_config(mcu, &seed);
	dir = path_dirname(kp->config);
	r = mkdir_p(dir, 0755);
	if (!r)
		r = write_file_atomic(kp->config, seed.buf, seed.len, 0644);
	free(dir);
	strbuf_release(&seed);
	return r ? r : 1;
}

int klipper_snapshot_take(struct klipper_snapshot *s, const char *path)
{
	int r;

	strbuf_init(&s->data);
	r = read_file(path, &s->data);
	s->exists = r == 0;
	return r == -ENOENT ? 0 : r;
}

bool klipper_snapshot_changed(const struct klipper_snapshot *s, const char *path)
{
	struct strbuf now = STRBUF_INIT;
	bool exists = read_file(path, &now) == 0, changed;

	changed = exists != s->exists ||
		  (exists && (now.len != s->data.len || memcmp(now.buf, s->data.buf, now.len)));
	strbuf_release(&now);
	return changed;
}

void klipper_snapshot_release(struct klipper_snapshot *s)
{
	strbuf_release(&s->data);
	s->exists = false;
}

/* ------------------------------------------------------------ job specs */

unsigned klipper_make_jobs(const struct config *cfg)
{
	return cfg->make_jobs ? cfg->make_jobs : (unsigned)cpu_count();
}

/* make in the tree with the board's config and OUT, then extra words. */
static void make_spec(const struct klipper_paths *kp, struct job_spec *spec)
{
	strvec_copy(&spec->argv, &kp->make);
	/* a surrounding make's jobserver and level must not leak into Klipper's */
	strvec_push(&spec->env, "MAKEFLAGS=");
	strvec_push(&spec->env, "MFLAGS=");
	strvec_push(&spec->env, "MAKELEVEL=");
	free(spec->cwd);
	spec->cwd = xstrdup(kp->tree);
}

/* The variables every make call gets: always make variables, never env. */
static void make_vars(const struct klipper_paths *kp, struct job_spec *spec)
{
	strvec_pushf(&spec->argv, "KCONFIG_CONFIG=%s", kp->config);
	strvec_pushf(&spec->argv, "OUT=%s", kp->out);
}

void klipper_make_spec(const struct klipper_paths *kp, struct job_spec *spec)
{
	make_spec(kp, spec);
	make_vars(kp, spec);
}

void klipper_clean_spec(const struct klipper_paths *kp, struct job_spec *spec)
{
	klipper_make_spec(kp, spec);
	strvec_push(&spec->argv, "clean");
	spec->timeout_ms = kp->build_timeout_ms;
}

void klipper_build_spec(const struct klipper_paths *kp, unsigned jobs, struct job_spec *spec)
{
	make_spec(kp, spec);
	strvec_pushf(&spec->argv, "-j%u", jobs ? jobs : 1);
	make_vars(kp, spec);
	spec->timeout_ms = kp->build_timeout_ms;
}

void klipper_olddefconfig_spec(const struct klipper_paths *kp, struct job_spec *spec)
{
	klipper_make_spec(kp, spec);
	strvec_push(&spec->argv, "olddefconfig");
	spec->timeout_ms = kp->build_timeout_ms;
}

void klipper_menuconfig_spec(const struct klipper_paths *kp, struct job_spec *spec)
{
	klipper_make_spec(kp, spec);
	strvec_push(&spec->argv, "menuconfig");
	spec->interactive = true;
	spec->timeout_ms = 0;
}

bool klipper_flash_nosudo(void)
{
	const char *fake = getenv("FLASHBAY_EUID");
	long euid;

	if (fake && *fake && !parse_long(fake, 0, 0x7fffffff, &euid))
		return euid == 0;
	return geteuid() == 0;
}

void klipper_describe_spec(const struct klipper_paths *kp, struct job_spec *spec)
{
	strvec_push(&spec->argv, "git");
	strvec_push(&spec->argv, "-C");
	strvec_push(&spec->argv, kp->tree);
	strvec_push(&spec->argv, "describe");
	strvec_push(&spec->argv, "--always");
	strvec_push(&spec->argv, "--dirty");
	spec->timeout_ms = kp->build_timeout_ms;
}

int klipper_menuconfig_terminal_check(struct strbuf *err)
{
	const char *term = getenv("TERM");

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		strbuf_addstr(err, "menuconfig needs a terminal: run it from an interactive shell "
				   "(standard input and output must be a terminal)");
		return -ENOTTY;
	}
	if (!term || !*term || !strcmp(term, "dumb")) {
		strbuf_addf(err, "menuconfig cannot draw its screen with TERM %s%s%s; set TERM "
			    "(for example TERM=xterm-256color)", term ? "'" : "unset",
			    term ? term : "", term ? "'" : "");
		return -ENOTTY;
	}
	return 0;
}

int klipper_tree_check(const struct klipper_paths *kp, struct strbuf *err)
{
	char *mk = xasprintf("%s/Makefile", kp->tree), *kc = xasprintf("%s/src/Kconfig", kp->tree);
	int r = access(mk, R_OK) == 0 && access(kc, R_OK) == 0 ? 0 : -ENOENT;

	if (r)
		strbuf_addf(err, "no Klipper tree at '%s' (no Makefile and src/Kconfig there); set "
			    "[klipper] klipper_dir in flashbay.conf, or the board's klipper_dir", kp->tree);
	free(mk);
	free(kc);
	return r;
}

/* ------------------------------------------------------------ build record */

/* Store one "name=value" line of the build record. */
static void record_field(struct klipper_build_record *c, const char *l, const char *v)
{
	if (!strcmp(l, "config_sha256"))
		snprintf(c->config_sha256, sizeof c->config_sha256, "%s", v);
	else if (!strcmp(l, "tree"))
		snprintf(c->tree, sizeof c->tree, "%s", v);
	else if (!strcmp(l, "artifact"))
		snprintf(c->artifact, sizeof c->artifact, "%s", v);
	else if (!strcmp(l, "artifact_sha256"))
		snprintf(c->artifact_sha256, sizeof c->artifact_sha256, "%s", v);
	else if (!strcmp(l, "artifact_size"))
		c->artifact_size = strtoull(v, NULL, 10);
	else if (!strcmp(l, "mcu"))
		snprintf(c->mcu, sizeof c->mcu, "%s", v);
	else if (!strcmp(l, "version"))
		snprintf(c->version, sizeof c->version, "%s", v);
}

int klipper_last_build(const struct klipper_paths *kp, struct klipper_build_record *c)
{
	char *path = xasprintf("%s%s", kp->out, KLIPPER_BUILD_RECORD);
	struct strbuf text = STRBUF_INIT;
	int r = read_file(path, &text);

	memset(c, 0, sizeof *c);
	for (char *l = r ? NULL : text.buf, *next; l && *l; l = next) {
		char *eq;

		next = strchr(l, '\n');
		if (next)
			*next++ = '\0';
		eq = strchr(l, '=');
		if (eq) {
			*eq++ = '\0';
			record_field(c, l, eq);
		}
	}
	if (!r && (strlen(c->config_sha256) != 64 || !c->tree[0] || !c->artifact[0] ||
		   strchr(c->artifact, '/')))
		r = -EINVAL;
	free(path);
	strbuf_release(&text);
	return r;
}
