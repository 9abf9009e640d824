/* klipper.h - building Klipper/Kalico firmware for a registered board.
 *
 * Every board has its own cached menuconfig file and its own build folder,
 * so boards never share Klipper's out/ (switching configs in one out/ without
 * `make clean` silently keeps the previous board's firmware) and several
 * boards build in parallel from one tree:
 *
 *     config  $configs_dir/KEY/.config       (KCONFIG_CONFIG=, a make variable:
 *                                             Klipper ignores it in the environment)
 *     out     $build_dir/KEY/                (OUT=, with the trailing slash make needs)
 *
 * Nothing here blocks: make, menuconfig and git run as jobs from the specs
 * below (cwd = the Klipper tree, MAKEFLAGS cleared so a surrounding make's
 * jobserver does not leak in); the engine runs them through runner.h/job.h
 * and feeds their output to the parsers (flasher_katapult, flasher_make_flash).
 *
 * MCU rule: a board's mcu matches a config's CONFIG_MCU when both are equal
 * after lowercasing and dropping an STM32 package/flash-size suffix ("x" and
 * one letter or digit after the last digit): board stm32h723 matches
 * stm32h723xx and stm32h723xg but never stm32h743xx; rp2040 matches only
 * rp2040. A Linux-host config (CONFIG_MACH_LINUX, which has no CONFIG_MCU)
 * has MCU "linux", as its klipper.dict says.
 */
#ifndef FLASHBAY_KLIPPER_H
#define FLASHBAY_KLIPPER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flasher.h"
#include "job.h"
#include "strbuf.h"
#include "strvec.h"

struct config;
struct board;

/* ------------------------------------------------------------ paths */

struct klipper_paths {
	char *key;
	char *tree;   /* the board's klipper_dir, else [klipper] klipper_dir */
	char *config; /* $configs_dir/KEY/.config */
	char *out;    /* $build_dir/KEY/ (ends with '/') */
	struct strvec make; /* [klipper] make, as words */
	uint64_t build_timeout_ms; /* [klipper] build_timeout: clean, build, olddefconfig, git */
	uint64_t flash_timeout_ms; /* [klipper] flash_timeout: make flash */
};

/* Fill kp for board b. Refuses (-EINVAL, one message in err) any path that
 * Klipper's make cannot handle (see klipper_path_check()); kp is filled even
 * then: release it in every case. */
int klipper_paths_init(struct klipper_paths *kp, const struct config *cfg, const struct board *b,
		       struct strbuf *err);
void klipper_paths_release(struct klipper_paths *kp);

/* $configs_dir/KEY/.config and its folder. Caller frees. */
char *klipper_config_path(const struct config *cfg, const char *key);
char *klipper_config_dir(const struct config *cfg, const char *key);
/* $build_dir/KEY/ with the trailing slash. Caller frees. */
char *klipper_build_dir(const struct config *cfg, const char *key);
/* 0 if make can use path; else -EINVAL and a message naming what and path.
 * Refused: whitespace (Klipper's make then recurses forever), control
 * characters and $ : % # \ " ' ` (make or the recipes' shell misread them). */
int klipper_path_check(const char *what, const char *path, struct strbuf *err);

/* ------------------------------------------------------------ .config files */

struct klipper_kconfig {
	char mcu[48];           /* CONFIG_MCU, "linux" for CONFIG_MACH_LINUX; "" if neither */
	char board_dir[32];     /* CONFIG_BOARD_DIRECTORY ("stm32", "rp2040", "linux") */
	char artifact[20];      /* what `make` produces: klipper.bin, klipper.uf2 (RP2040 with
				   stage2, no bootloader), klipper.elf (Linux), klipper.elf.hex (AVR) */
	bool has_bootloader;    /* CONFIG_FLASH_APPLICATION_ADDRESS != CONFIG_FLASH_BOOT_ADDRESS */
	char usb_manufacturer[64]; /* CONFIG_USB_MANUFACTURER (Kalico), "" if not set */
	char usb_product[64];   /* CONFIG_USB_PRODUCT (Kalico), "" if not set */
	int lines;              /* CONFIG_ lines seen */
};

/* Read a .config. -ENOENT if missing (no message), -EINVAL with a message if
 * it is not a Kconfig file or names no MCU, other -errno with a message. */
int klipper_kconfig_read(const char *path, struct klipper_kconfig *kc, struct strbuf *err);
/* The MCU rule above. */
bool klipper_mcu_matches(const char *board_mcu, const char *config_mcu);
/* Check board b's cached config (path): OUTCOME_OK (kc filled),
 * OUTCOME_CONFIG_MISSING (missing: make would silently create an AVR default),
 * OUTCOME_MCU_MISMATCH, or OUTCOME_OTHER (unreadable). Every failure appends one
 * message that says how to fix it (flashbay board menuconfig KEY). kc may be NULL. */
enum outcome klipper_config_check(const struct board *b, const char *path,
				  struct klipper_kconfig *kc, struct strbuf *err);

/* (klipper-mcus.c) The processors tree can build for: each `default "NAME"`
 * of a `config MCU` entry in its src/<arch>/Kconfig files, as written
 * (stm32h723xx, rp2040, atmega2560), and "linux" when it has src/linux (a
 * Linux host has no CONFIG_MCU). Appended to out without duplicates. 0, or
 * -ENOENT when no Kconfig there has a `config MCU` (not a Klipper tree). */
int klipper_tree_mcus(const char *tree, struct strvec *out);
/* The names in known nearest to mcu (edit distance of the STM32-suffix-free
 * lowercase names, closest first, only the close ones), as such names
 * (what --mcu takes), at most max, appended to out. */
void klipper_mcus_near(const char *mcu, const struct strvec *known, size_t max,
		       struct strvec *out);

/* A minimal seed selecting the processor for mcu (e.g. CONFIG_MACH_STM32=y,
 * CONFIG_MACH_STM32H723=y), so menuconfig starts on the right chip instead of
 * Klipper's AVR default; empty for an MCU it does not know. */
void klipper_seed_config(const char *mcu, struct strbuf *out);
/* Write that seed to kp->config (folder created) when the file does not
 * exist, so menuconfig starts on the board's processor: 1 if written, 0 if
 * a config was there already, -errno. */
int klipper_config_seed(const struct klipper_paths *kp, const char *mcu);

/* A file's contents before an interactive edit, to tell afterwards whether it
 * was saved (menuconfig's exit status is always 0). */
struct klipper_snapshot {
	bool exists;
	struct strbuf data;
};
int klipper_snapshot_take(struct klipper_snapshot *s, const char *path);
/* true if path now differs from the snapshot (created, removed or changed). */
bool klipper_snapshot_changed(const struct klipper_snapshot *s, const char *path);
void klipper_snapshot_release(struct klipper_snapshot *s);

/* ------------------------------------------------------------ job specs */

/* make -jN: [klipper] jobs, else the number of CPUs. */
unsigned klipper_make_jobs(const struct config *cfg);

/* Each fills an initialised spec (argv, env, cwd, timeout from kp):
 * `make KCONFIG_CONFIG=... OUT=... TARGET` run in the tree. */
/* The common part, for a caller that adds its own words and timeout
 * (flasher_make_flash's spec(): ... FLASH_DEVICE=... [NOSUDO=1] flash). */
void klipper_make_spec(const struct klipper_paths *kp, struct job_spec *spec);
void klipper_clean_spec(const struct klipper_paths *kp, struct job_spec *spec);
void klipper_build_spec(const struct klipper_paths *kp, unsigned jobs, struct job_spec *spec);
void klipper_olddefconfig_spec(const struct klipper_paths *kp, struct job_spec *spec);
/* Interactive: the terminal is handed over; no timeout. */
void klipper_menuconfig_spec(const struct klipper_paths *kp, struct job_spec *spec);
/* NOSUDO=1 for `make flash` (flasher_make_flash's spec()): true when
 * running as root, where sudo is pointless (and absent on many hosts);
 * FLASHBAY_EUID overrides geteuid() for tests. */
bool klipper_flash_nosudo(void);
/* git describe --always --dirty in the tree (the build cache's tree id). */
void klipper_describe_spec(const struct klipper_paths *kp, struct job_spec *spec);

/* 0 if kp->tree looks like a Klipper/Kalico tree (Makefile and src/Kconfig);
 * else -ENOENT with a message naming the path and the setting to change. */
int klipper_tree_check(const struct klipper_paths *kp, struct strbuf *err);

/* 0 if menuconfig can draw: stdin and stdout are terminals and TERM is set
 * (and not "dumb"); else -ENOTTY with a message. */
int klipper_menuconfig_terminal_check(struct strbuf *err);

/* ------------------------------------------------------------ menuconfig
 * (klipper-menuconfig.c) The one menuconfig workflow of every view: seed a
 * missing configuration for the board's MCU, snapshot it, run the job,
 * remove a seed that was not saved, check the MCU. */

struct loop;
struct klipper_menuconfig;

/* What a menuconfig came to: views print or log it. Strings are owned. */
struct klipper_menuconfig_result {
	char *key, *mcu;      /* the board's */
	char *config;         /* the configuration file */
	int status;           /* the job's exit code, or -errno: it did not start */
	bool saved;           /* the file changed (menuconfig always exits 0) */
	bool discarded;       /* a seed written for this run was not saved: removed */
	bool mcu_ok;          /* the MCU check passed; not checked when discarded */
	struct strbuf check;  /* the MCU check's message when it failed */
	struct strbuf error;  /* why the job did not start (klipper_menuconfig_run()) */
};

/* Prepare menuconfig for registered board b: paths and tree from cfg, a
 * seed configuration if there is none, a snapshot; fills the initialised
 * spec with the interactive job, which the caller runs (a view that hands
 * the terminal over). Returns the context, or NULL with why. */
struct klipper_menuconfig *klipper_menuconfig_begin(const struct config *cfg,
						    const struct board *b,
						    struct job_spec *spec, struct strbuf *why);
/* The configuration file being edited (owned by mc). */
const char *klipper_menuconfig_path(const struct klipper_menuconfig *mc);
/* After the job ended with status (exit code, or -errno if it did not
 * start): fills res (release it with klipper_menuconfig_result_release())
 * and frees mc. */
void klipper_menuconfig_end(struct klipper_menuconfig *mc, int status,
			    struct klipper_menuconfig_result *res);
/* begin, the job in this terminal on loop until it ends (NULL: a loop of its
 * own; the terminal must have been checked), end. 0 with res filled, or
 * -EINVAL if it could not begin (why says; res untouched). */
int klipper_menuconfig_run(struct loop *loop, const struct config *cfg, const struct board *b,
			   struct klipper_menuconfig_result *res, struct strbuf *why);
void klipper_menuconfig_result_release(struct klipper_menuconfig_result *res);

/* ------------------------------------------------------------ after a build
 * (klipper-build.c; these use sha256_file() from sha256.h) */

struct klipper_artifact {
	char path[4096];
	char name[20];       /* "klipper.bin" */
	uint64_t size;
	char sha256[65];
	char dict_mcu[48];   /* "MCU" from <OUT>/klipper.dict */
	char version[80];    /* "version" from klipper.dict */
};

/* Check a finished build in kp->out: the artifact kc says (or, failing that,
 * klipper.bin / klipper.uf2) exists and is not empty; its size and SHA-256;
 * klipper.dict's "MCU" matches board_mcu. OUTCOME_OK, OUTCOME_BUILD_FAILED
 * (no artifact or dict) or OUTCOME_MCU_MISMATCH, with a message. */
enum outcome klipper_artifact_check(const struct klipper_paths *kp, const char *board_mcu,
				    const struct klipper_kconfig *kc, struct klipper_artifact *a,
				    struct strbuf *err);
/* "MCU" and "version" of a klipper.dict (either may be NULL). 0, -ENOENT, -EINVAL. */
int klipper_dict_read(const char *path, char *mcu, size_t mcu_size, char *version,
		      size_t version_size);
/* The tree's HEAD commit read from .git directly (HEAD, loose ref or
 * packed-refs; a .git file of a worktree is followed): 40 hex digits. */
int klipper_tree_head(const char *tree, char *out, size_t size);
/* The tree id from the describe job's first stdout line; 0 or -EINVAL. */
int klipper_describe_parse(const char *line, char *out, size_t size);

/* Build cache: <OUT>/.flashbay-build, written after a successful build and
 * check, holding SHA-256 of the config, the tree id and the artifact. */
#define KLIPPER_BUILD_RECORD ".flashbay-build"
struct klipper_build_record {
	char config_sha256[65], tree[128], artifact[20], artifact_sha256[65], mcu[48], version[80];
	uint64_t artifact_size;
};
/* Read the record of the last successful build (klipper.c; no hashing, so
 * `board show` can use it). 0, -ENOENT, or -EINVAL for a damaged record. */
int klipper_last_build(const struct klipper_paths *kp, struct klipper_build_record *rec);
enum klipper_cache_state {
	KLIPPER_CACHE_HIT,   /* a is filled from the cache and the file is unchanged */
	KLIPPER_CACHE_MISS,  /* build; why says why */
};
/* tree_id: git describe output or klipper_tree_head(); NULL or a "-dirty"
 * tree never hits (its contents can change under the same id). */
enum klipper_cache_state klipper_cache_lookup(const struct klipper_paths *kp, const char *tree_id,
					      struct klipper_artifact *a, struct strbuf *why);
/* true if the config changed since the cached build (or there is none): an
 * incremental (--no-clean) build must then clean anyway, because make
 * trusts file times and may keep firmware built from another config. */
bool klipper_cache_config_changed(const struct klipper_paths *kp);
int klipper_cache_store(const struct klipper_paths *kp, const char *tree_id,
			const struct klipper_artifact *a, struct strbuf *err);

/* ------------------------------------------------------------ parsers */

/* flasher_katapult and flasher_make_flash: see flasher.h. */
/* The Katapult parser as a function (make flash feeds its lines through it). */
void flasher_katapult_parse_line(struct flash_progress *p, enum job_stream stream,
				 const char *line, size_t len, bool partial);

#endif
