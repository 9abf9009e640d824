/* test-klipper.c - per-board paths, .config reading against the real fixture
 * configs, the MCU rule, make job specs, artifact check and build cache. */
#include "autoconf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../tap.h"
#include "array.h"
#include "boards.h"
#include "config.h"
#include "files.h"
#include "klipper.h"
#include "path.h"
#include "sha256.h"
#include "str.h"
#include "xalloc.h"

static char dir[] = "/tmp/fb-klipper-XXXXXX";

/* Write a file under the temp dir (creating folders); returns its path. */
static const char *put(const char *name, const char *text)
{
	static char paths[8][512];
	static int n;
	char *p = paths[n++ % 8], *d;

	snprintf(p, 512, "%s/%s", dir, name);
	d = path_dirname(p);
	mkdir_p(d, 0755);
	free(d);
	write_file_atomic(p, text, strlen(text), 0644);
	return p;
}

static const char *fixture(const char *name)
{
	static char buf[8][4096];
	static int n;
	char *p = buf[n++ % 8];

	snprintf(p, 4096, "%s", tap_srcfile(name));
	return p;
}

/* A config with the test's folders. */
static void test_config(struct config *cfg)
{
	config_init(cfg);
	config_defaults(cfg);
	config_set_str(&cfg->configs_dir, NULL);
	cfg->configs_dir = xasprintf("%s/configs", dir);
	config_set_str(&cfg->build_dir, NULL);
	cfg->build_dir = xasprintf("%s/build/", dir);
	config_set_str(&cfg->klipper_dir, NULL);
	cfg->klipper_dir = xasprintf("%s/klipper", dir);
	config_set_str(&cfg->katapult_dir, NULL);
	cfg->katapult_dir = xasprintf("%s/katapult", dir);
}

static void paths(void)
{
	struct config cfg;
	struct board b = { .key = "octopus", .mcu = "stm32h723" };
	struct klipper_paths kp;
	struct strbuf err = STRBUF_INIT;
	char want[600], *s;

	test_config(&cfg);
	s = klipper_config_path(&cfg, "octopus");
	snprintf(want, sizeof want, "%s/configs/octopus/.config", dir);
	is_str(s, want, "cached config: $configs_dir/KEY/.config");
	free(s);
	s = klipper_build_dir(&cfg, "octopus");
	snprintf(want, sizeof want, "%s/build/octopus/", dir);
	is_str(s, want, "build dir: one '/' between, trailing slash for OUT=");
	free(s);
	is_int(klipper_paths_init(&kp, &cfg, &b, &err), 0, "paths for a board");
	snprintf(want, sizeof want, "%s/klipper", dir);
	is_str(kp.tree, want, "tree: [klipper] klipper_dir by default");
	klipper_paths_release(&kp);
	b.klipper_dir_path = "/srv/kalico";
	is_int(klipper_paths_init(&kp, &cfg, &b, &err), 0, "board with its own tree");
	is_str(kp.tree, "/srv/kalico", "the board's klipper_dir wins");
	klipper_paths_release(&kp);

	b.klipper_dir_path = "/home/pi/my klipper";
	is_int(klipper_paths_init(&kp, &cfg, &b, &err), -EINVAL, "a space in the tree is refused");
	ok(strstr(err.buf, "Klipper tree '/home/pi/my klipper' contains a space") &&
		   strstr(err.buf, "recurses forever"),
	   "the message names the path and why");
	klipper_paths_release(&kp);
	strbuf_reset(&err);
	b.klipper_dir_path = NULL;
	free(cfg.build_dir);
	cfg.build_dir = xstrdup("/var/cache/fb build");
	is_int(klipper_paths_init(&kp, &cfg, &b, &err), -EINVAL, "a space in the build folder is refused");
	ok(strstr(err.buf, "build folder '/var/cache/fb build/octopus/'") != NULL, "build folder named");
	klipper_paths_release(&kp);
	strbuf_reset(&err);
	is_int(klipper_path_check("x", "/a:b", &err), -EINVAL, "':' is refused (make targets)");
	is_int(klipper_path_check("x", "/a$b", &err), -EINVAL, "'$' is refused (make expands it)");
	is_int(klipper_path_check("x", "/home/pi/klipper-2_x.y", &err), 0, "an ordinary path passes");
	config_release(&cfg);
	strbuf_release(&err);
}

static void kconfigs(void)
{
	static const struct {
		const char *file, *mcu, *artifact;
		bool bootloader;
	} cases[] = {
		{ "klipper-octopus-pro-h723.config", "stm32h723xx", "klipper.bin", true },
		{ "klipper-octopus-pro-h723.lowlevel-disabled.config", "stm32h723xx", "klipper.bin", true },
		{ "kalico-octopus-pro-h723.config", "stm32h723xx", "klipper.bin", true },
		{ "klipper-nitehawk36-rp2040.config", "rp2040", "klipper.bin", true },
		{ "kalico-nitehawk36-rp2040.config", "rp2040", "klipper.bin", true },
		{ "klipper-rp2040-nobootloader.config", "rp2040", "klipper.uf2", false },
		{ "klipper-linux-host.config", "linux", "klipper.elf", false },
		{ "klipper-default-avr.config", "atmega2560", "klipper.elf.hex", false },
	};
	struct klipper_kconfig kc;
	struct strbuf err = STRBUF_INIT;
	char name[200];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		snprintf(name, sizeof name, "fixtures/klipper/configs/%s", cases[i].file);
		is_int(klipper_kconfig_read(fixture(name), &kc, &err), 0, "%s reads", cases[i].file);
		is_str(kc.mcu, cases[i].mcu, "%s: mcu", cases[i].file);
		is_str(kc.artifact, cases[i].artifact, "%s: artifact", cases[i].file);
		is_int(kc.has_bootloader, cases[i].bootloader, "%s: bootloader offset", cases[i].file);
	}
	klipper_kconfig_read(fixture("fixtures/klipper/configs/kalico-octopus-pro-h723.config"), &kc, &err);
	is_str(kc.usb_manufacturer, "Klipper", "Kalico's USB manufacturer string");
	is_str(kc.usb_product, "stm32h723xx", "Kalico's USB product string");
	is_int(klipper_kconfig_read(fixture("fixtures/klipper/configs/linux-host.seed.config"), &kc, &err),
	       0, "a Linux seed (CONFIG_MACH_LINUX only) is linux");
	is_int(klipper_kconfig_read(put("none.config", "# nothing\n"), &kc, &err), -EINVAL,
	       "no CONFIG_ lines: -EINVAL");
	ok(strstr(err.buf, "is not a Klipper configuration") != NULL, "explained");
	strbuf_reset(&err);
	is_int(klipper_kconfig_read(fixture("fixtures/klipper/configs/octopus-pro-h723.seed.config"), &kc,
				    &err),
	       -EINVAL, "a seed without CONFIG_MCU names no MCU");
	strbuf_reset(&err);
	is_int(klipper_kconfig_read("/nonexistent/.config", &kc, &err), -ENOENT, "missing: -ENOENT");
	is_str(err.buf, "", "missing: no message (the caller explains)");
	strbuf_release(&err);
}

static void mcu_rule(void)
{
	ok(klipper_mcu_matches("stm32h723", "stm32h723xx"), "stm32h723 ~ stm32h723xx");
	ok(klipper_mcu_matches("stm32h723xx", "stm32h723xx"), "stm32h723xx ~ stm32h723xx");
	ok(klipper_mcu_matches("STM32H723", "stm32h723xg"), "case and flash-size suffix ignored");
	ok(!klipper_mcu_matches("stm32h723", "stm32h743xx"), "stm32h723 !~ stm32h743xx");
	ok(!klipper_mcu_matches("stm32h7", "stm32h723xx"), "a family prefix is not enough");
	ok(klipper_mcu_matches("rp2040", "rp2040"), "rp2040 ~ rp2040");
	ok(!klipper_mcu_matches("rp2040", "rp2350"), "rp2040 !~ rp2350");
	ok(!klipper_mcu_matches("stm32h723", "atmega2560"), "the AVR default never matches");
	ok(klipper_mcu_matches("linux", "linux"), "linux ~ linux");
	ok(!klipper_mcu_matches("", ""), "empty never matches");
}

static void config_checks(void)
{
	struct board b = { .key = "octopus", .mcu = "stm32h723" };
	struct klipper_kconfig kc;
	struct strbuf err = STRBUF_INIT;

	is_int(klipper_config_check(&b, fixture("fixtures/klipper/configs/klipper-octopus-pro-h723.config"),
				    &kc, &err),
	       OUTCOME_OK, "octopus config for an stm32h723 board: ok");
	is_int(klipper_config_check(&b, "/nonexistent/octopus/.config", NULL, &err),
	       OUTCOME_CONFIG_MISSING, "missing config: config_missing");
	ok(strstr(err.buf, "has no Klipper configuration yet") &&
		   strstr(err.buf, "flashbay board menuconfig octopus"),
	   "missing config points to menuconfig");
	strbuf_reset(&err);
	is_int(klipper_config_check(&b, fixture("fixtures/klipper/configs/klipper-nitehawk36-rp2040.config"),
				    NULL, &err),
	       OUTCOME_MCU_MISMATCH, "rp2040 config for an stm32h723 board: mcu_mismatch");
	ok(strstr(err.buf, "registered as mcu stm32h723") && strstr(err.buf, "is for rp2040") &&
		   strstr(err.buf, "flashbay board menuconfig octopus"),
	   "mismatch names both MCUs and the fix");
	strbuf_reset(&err);
	is_int(klipper_config_check(&b, fixture("fixtures/klipper/configs/klipper-default-avr.config"), NULL,
				    &err),
	       OUTCOME_MCU_MISMATCH, "make's silent AVR default is caught as a mismatch");
	strbuf_reset(&err);
	b.key = "pi";
	b.mcu = "linux";
	is_int(klipper_config_check(&b, fixture("fixtures/klipper/configs/klipper-linux-host.config"), NULL,
				    &err),
	       OUTCOME_OK, "Linux host config (no CONFIG_MCU) for a linux board: ok");
	strbuf_release(&err);
}

static void seeds_and_snapshots(void)
{
	struct strbuf s = STRBUF_INIT;
	struct klipper_snapshot snap;
	const char *path = put("snap/.config", "CONFIG_MCU=\"rp2040\"\n");

	klipper_seed_config("stm32h723", &s);
	is_str(s.buf, "CONFIG_MACH_STM32=y\nCONFIG_MACH_STM32H723=y\n", "stm32 seed");
	strbuf_reset(&s);
	klipper_seed_config("stm32g0b1xx", &s);
	is_str(s.buf, "CONFIG_MACH_STM32=y\nCONFIG_MACH_STM32G0B1=y\n", "seed from a suffixed name");
	strbuf_reset(&s);
	klipper_seed_config("rp2040", &s);
	is_str(s.buf, "CONFIG_MACH_RPXXXX=y\nCONFIG_MACH_RP2040=y\n", "rp2040 seed");
	strbuf_reset(&s);
	klipper_seed_config("linux", &s);
	is_str(s.buf, "CONFIG_MACH_LINUX=y\n", "linux seed");
	strbuf_reset(&s);
	klipper_seed_config("samd51j19a", &s);
	is_str(s.buf, "", "unknown family: empty seed");
	strbuf_release(&s);

	is_int(klipper_snapshot_take(&snap, path), 0, "snapshot");
	ok(!klipper_snapshot_changed(&snap, path), "unchanged file: not saved");
	put("snap/.config", "CONFIG_MCU=\"rp2040\"\n");
	ok(!klipper_snapshot_changed(&snap, path), "rewritten with the same bytes: not saved");
	put("snap/.config", "CONFIG_MCU=\"rp2350\"\n");
	ok(klipper_snapshot_changed(&snap, path), "different bytes: saved");
	klipper_snapshot_release(&snap);
	unlink(path);
	is_int(klipper_snapshot_take(&snap, path), 0, "snapshot of a missing file");
	ok(!klipper_snapshot_changed(&snap, path), "still missing: not saved");
	put("snap/.config", "x\n");
	ok(klipper_snapshot_changed(&snap, path), "created: saved");
	klipper_snapshot_release(&snap);
}

static char *argv_join(const struct job_spec *spec)
{
	return strvec_join(&spec->argv, " ");
}

static void specs(void)
{
	struct config cfg;
	struct board b = { .key = "octopus", .mcu = "stm32h723" };
	struct klipper_paths kp;
	struct job_spec spec = JOB_SPEC_INIT;
	struct strbuf err = STRBUF_INIT;
	char want[1200], *got;

	test_config(&cfg);
	cfg.make_jobs = 3;
	klipper_paths_init(&kp, &cfg, &b, &err);

	klipper_build_spec(&kp, klipper_make_jobs(&cfg), &spec);
	got = argv_join(&spec);
	snprintf(want, sizeof want, "make -j3 KCONFIG_CONFIG=%s/configs/octopus/.config OUT=%s/build/octopus/",
		 dir, dir);
	is_str(got, want, "build: make -jN with KCONFIG_CONFIG and OUT as make variables");
	free(got);
	snprintf(want, sizeof want, "%s/klipper", dir);
	is_str(spec.cwd, want, "run in the Klipper tree (no -C: no 'Entering directory' noise)");
	ok(strvec_find(&spec.env, "MAKEFLAGS=") >= 0 && strvec_find(&spec.env, "MAKELEVEL=") >= 0,
	   "a surrounding make's MAKEFLAGS/MAKELEVEL are cleared");
	for (size_t i = 0; i < spec.env.n; i++)
		ok(!str_starts_with(spec.env.v[i], "KCONFIG_CONFIG="), "KCONFIG_CONFIG is never in the environment");
	is_int(spec.timeout_ms, 300000, "build timeout from [klipper] build_timeout");
	ok(!spec.interactive, "build is not interactive");
	job_spec_release(&spec);

	klipper_clean_spec(&kp, &spec);
	got = argv_join(&spec);
	ok(str_ends_with(got, "/build/octopus/ clean") && str_starts_with(got, "make KCONFIG_CONFIG="),
	   "clean with the same variables");
	free(got);
	job_spec_release(&spec);

	klipper_menuconfig_spec(&kp, &spec);
	got = argv_join(&spec);
	ok(str_ends_with(got, " menuconfig") && strstr(got, " KCONFIG_CONFIG=") != NULL,
	   "menuconfig gets KCONFIG_CONFIG as a make variable");
	ok(spec.interactive && !spec.timeout_ms, "menuconfig is interactive, no timeout");
	free(got);
	job_spec_release(&spec);

	klipper_olddefconfig_spec(&kp, &spec);
	got = argv_join(&spec);
	ok(str_ends_with(got, " olddefconfig"), "olddefconfig");
	free(got);
	job_spec_release(&spec);

	setenv("FLASHBAY_EUID", "0", 1); /* root: NOSUDO=1 */
	flasher_make_flash.spec(&(struct flash_request){
					.port = "/dev/serial/by-id/usb-Klipper_stm32h723xx_29001A001151313531383332-if00",
					.kp = &kp },
				&spec);
	unsetenv("FLASHBAY_EUID");
	got = argv_join(&spec);
	ok(strstr(got, " FLASH_DEVICE=/dev/serial/by-id/usb-Klipper_stm32h723xx_29001A001151313531383332-if00 NOSUDO=1 flash") &&
		   strstr(got, " OUT="),
	   "make flash FLASH_DEVICE=... NOSUDO=1 with KCONFIG_CONFIG and OUT");
	is_int(spec.timeout_ms, 60000, "flash timeout from [klipper] flash_timeout");
	free(got);
	job_spec_release(&spec);

	setenv("FLASHBAY_EUID", "1000", 1);
	ok(!klipper_flash_nosudo(), "not root: keep make flash's sudo");
	setenv("FLASHBAY_EUID", "0", 1);
	ok(klipper_flash_nosudo(), "root: NOSUDO=1");
	unsetenv("FLASHBAY_EUID");

	flasher_katapult.spec(&(struct flash_request){ .port = "/dev/ttyACM0", .python = cfg.python,
						.tool_dir = cfg.katapult_dir,
						.artifact = "/b/klipper.bin" },
			      &spec);
	got = argv_join(&spec);
	snprintf(want, sizeof want, "python3 %s/katapult/scripts/flashtool.py -d /dev/ttyACM0 -f /b/klipper.bin",
		 dir);
	is_str(got, want, "flashtool.py -d DEVICE -f ARTIFACT");
	ok(strvec_find(&spec.env, "PYTHONUNBUFFERED=1") >= 0, "unbuffered python (live '#' progress)");
	free(got);
	job_spec_release(&spec);

	klipper_describe_spec(&kp, &spec);
	got = argv_join(&spec);
	snprintf(want, sizeof want, "git -C %s/klipper describe --always --dirty", dir);
	is_str(got, want, "git describe --always --dirty");
	free(got);
	job_spec_release(&spec);

	free(cfg.make);
	cfg.make = xstrdup("/usr/bin/make --no-print-directory");
	klipper_paths_release(&kp);
	klipper_paths_init(&kp, &cfg, &b, &err);
	klipper_clean_spec(&kp, &spec);
	is_str(spec.argv.v[1], "--no-print-directory", "[klipper] make words are split");
	job_spec_release(&spec);
	cfg.make_jobs = 0;
	ok(klipper_make_jobs(&cfg) >= 1, "jobs default: number of CPUs");
	cfg.make_jobs = 5;
	is_int(config_read_file(&cfg, put("jobs.conf", "[klipper]\njobs =\n"), true, &err, NULL), 0,
	       "[klipper] jobs = (empty) is accepted, as the sample config shows it");
	is_int(cfg.make_jobs, 0, "empty jobs: the number of CPUs");

	is_int(klipper_menuconfig_terminal_check(&err), -ENOTTY, "no terminal here: menuconfig refused");
	ok(strstr(err.buf, "menuconfig needs a terminal") != NULL, "refusal explained");
	klipper_paths_release(&kp);
	config_release(&cfg);
	strbuf_release(&err);
}

/* A fake finished build in kp->out. */
static void fake_build(const struct klipper_paths *kp, const char *name, const char *mcu)
{
	char path[600], dict[300];

	mkdir_p(kp->out, 0755);
	snprintf(path, sizeof path, "%s%s", kp->out, name);
	write_file_atomic(path, "FIRMWARE", 8, 0644);
	snprintf(path, sizeof path, "%sklipper.dict", kp->out);
	snprintf(dict, sizeof dict, "{\"app\":\"Klipper\",\"config\":{\"CLOCK_FREQ\":520000000,\"MCU\":\"%s\"},"
		 "\"version\":\"v0.13.0-730-g84104bbbd\"}", mcu);
	write_file_atomic(path, dict, strlen(dict), 0644);
}

static void artifacts_and_cache(void)
{
	struct config cfg;
	struct board b = { .key = "octopus", .mcu = "stm32h723" };
	struct klipper_paths kp;
	struct klipper_kconfig kc;
	struct klipper_artifact a, c;
	struct strbuf err = STRBUF_INIT;
	char sha[65];

	test_config(&cfg);
	klipper_paths_init(&kp, &cfg, &b, &err);
	put("configs/octopus/.config", "CONFIG_MCU=\"stm32h723xx\"\nCONFIG_MACH_STM32=y\n");
	klipper_kconfig_read(kp.config, &kc, &err);

	is_int(klipper_artifact_check(&kp, b.mcu, &kc, &a, &err), OUTCOME_BUILD_FAILED,
	       "no artifact: build_failed");
	ok(strstr(err.buf, "produced no klipper.bin") != NULL, "missing artifact explained");
	strbuf_reset(&err);
	fake_build(&kp, "klipper.bin", "stm32h723xx");
	is_int(klipper_artifact_check(&kp, b.mcu, &kc, &a, &err), OUTCOME_OK, "artifact and dict: ok");
	is_str(a.name, "klipper.bin", "artifact name");
	is_int(a.size, 8, "artifact size");
	sha256_hex("FIRMWARE", 8, sha);
	is_str(a.sha256, sha, "artifact SHA-256");
	is_str(a.dict_mcu, "stm32h723xx", "klipper.dict MCU");
	is_str(a.version, "v0.13.0-730-g84104bbbd", "klipper.dict version");

	fake_build(&kp, "klipper.bin", "stm32h743xx");
	is_int(klipper_artifact_check(&kp, b.mcu, &kc, &a, &err), OUTCOME_MCU_MISMATCH,
	       "klipper.dict for another MCU: mcu_mismatch");
	ok(strstr(err.buf, "is for stm32h743xx (klipper.dict)") != NULL, "dict mismatch explained");
	strbuf_reset(&err);

	fake_build(&kp, "klipper.bin", "stm32h723xx");
	is_int(klipper_cache_lookup(&kp, "v0.13.0-730-g84104bbbd", &c, &err), KLIPPER_CACHE_MISS,
	       "no cache yet: miss");
	ok(klipper_cache_config_changed(&kp), "no cache: config counts as changed (clean first)");
	strbuf_reset(&err);
	klipper_artifact_check(&kp, b.mcu, &kc, &a, &err);
	is_int(klipper_cache_store(&kp, "v0.13.0-730-g84104bbbd", &a, &err), 0, "cache stored");
	is_int(klipper_cache_lookup(&kp, "v0.13.0-730-g84104bbbd", &c, &err), KLIPPER_CACHE_HIT,
	       "same config and tree: hit");
	is_str(c.sha256, a.sha256, "hit gives the artifact's SHA-256");
	is_str(c.dict_mcu, "stm32h723xx", "hit gives the MCU");
	ok(!klipper_cache_config_changed(&kp), "config unchanged since the build");
	is_int(klipper_cache_lookup(&kp, "v0.13.0-731-gdeadbeef", &c, &err), KLIPPER_CACHE_MISS,
	       "tree moved: miss");
	ok(strstr(err.buf, "the Klipper tree changed") != NULL, "tree change explained");
	strbuf_reset(&err);
	is_int(klipper_cache_lookup(&kp, "v0.13.0-730-g84104bbbd-dirty", &c, &err), KLIPPER_CACHE_MISS,
	       "dirty tree: never a hit");
	strbuf_reset(&err);
	is_int(klipper_cache_lookup(&kp, NULL, &c, &err), KLIPPER_CACHE_MISS, "unknown tree: miss");
	strbuf_reset(&err);
	put("configs/octopus/.config", "CONFIG_MCU=\"stm32h723xx\"\nCONFIG_MACH_STM32=y\n# edited\n");
	is_int(klipper_cache_lookup(&kp, "v0.13.0-730-g84104bbbd", &c, &err), KLIPPER_CACHE_MISS,
	       "config edited: miss");
	ok(strstr(err.buf, "the configuration changed") != NULL, "config change explained");
	ok(klipper_cache_config_changed(&kp), "config changed: an incremental build must clean");
	strbuf_reset(&err);
	put("configs/octopus/.config", "CONFIG_MCU=\"stm32h723xx\"\nCONFIG_MACH_STM32=y\n");
	{
		char p[600];

		snprintf(p, sizeof p, "%sklipper.bin", kp.out);
		write_file_atomic(p, "OTHER", 5, 0644);
	}
	is_int(klipper_cache_lookup(&kp, "v0.13.0-730-g84104bbbd", &c, &err), KLIPPER_CACHE_MISS,
	       "artifact changed behind our back: miss");
	strbuf_reset(&err);

	/* a config that builds klipper.uf2 */
	b.key = "pico";
	b.mcu = "rp2040";
	klipper_paths_release(&kp);
	klipper_paths_init(&kp, &cfg, &b, &err);
	klipper_kconfig_read(fixture("fixtures/klipper/configs/klipper-rp2040-nobootloader.config"), &kc, &err);
	fake_build(&kp, "klipper.uf2", "rp2040");
	is_int(klipper_artifact_check(&kp, b.mcu, &kc, &a, &err), OUTCOME_OK, "uf2 build: ok");
	is_str(a.name, "klipper.uf2", "the no-bootloader rp2040 artifact is klipper.uf2");
	klipper_paths_release(&kp);
	config_release(&cfg);
	strbuf_release(&err);
}

static void tree_ids(void)
{
	char out[128];

	put("tree1/.git/HEAD", "ref: refs/heads/master\n");
	put("tree1/.git/refs/heads/master", "84104bbbd0123456789abcdef0123456789abcde\n");
	{
		char t[600];

		snprintf(t, sizeof t, "%s/tree1", dir);
		is_int(klipper_tree_head(t, out, sizeof out), 0, "HEAD through a loose ref");
		is_str(out, "84104bbbd0123456789abcdef0123456789abcde", "the commit");
		put("tree2/.git/HEAD", "ref: refs/heads/main\n");
		put("tree2/.git/packed-refs", "# pack-refs with: peeled fully-peeled sorted\n"
					      "1111111111111111111111111111111111111111 refs/heads/dev\n"
					      "2222222222222222222222222222222222222222 refs/heads/main\n");
		snprintf(t, sizeof t, "%s/tree2", dir);
		is_int(klipper_tree_head(t, out, sizeof out), 0, "HEAD through packed-refs");
		is_str(out, "2222222222222222222222222222222222222222", "the packed commit");
		put("tree3/.git", "gitdir: ../tree3-gitdir\n");
		put("tree3-gitdir/HEAD", "3333333333333333333333333333333333333333\n");
		snprintf(t, sizeof t, "%s/tree3", dir);
		is_int(klipper_tree_head(t, out, sizeof out), 0, "a .git file is followed (detached HEAD)");
		is_str(out, "3333333333333333333333333333333333333333", "the detached commit");
		snprintf(t, sizeof t, "%s/no-tree", dir);
		is_int(klipper_tree_head(t, out, sizeof out), -ENOENT, "not a git tree: -ENOENT");
	}
	is_int(klipper_describe_parse("v0.13.0-730-g84104bbbd\n", out, sizeof out), 0, "describe line");
	is_str(out, "v0.13.0-730-g84104bbbd", "describe value");
	is_int(klipper_describe_parse("fatal: not a git repository", out, sizeof out), -EINVAL,
	       "an error line is not a tree id");
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	paths();
	kconfigs();
	mcu_rule();
	config_checks();
	seeds_and_snapshots();
	specs();
	artifacts_and_cache();
	tree_ids();
	{
		char cmd[600];

		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		if (system(cmd))
			diag("cleanup failed");
	}
	return done_testing();
}
