/* test-firmware.c - SHA-256 against known vectors and sha256sum; image
 * checks, offsets, overlaps, ESP-IDF flash_args, [firmware] from the config.
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../tap.h"
#include "array.h"
#include "config.h"
#include "files.h"
#include "firmware.h"
#include "path.h"
#include "sha256.h"
#include "str.h"

static char dir[] = "/tmp/fb-firmware-XXXXXX";

/* Write a file under the temp dir; returns its path (static, 8 slots). */
static const char *put(const char *name, const void *data, size_t len)
{
	static char paths[8][512];
	static int n;
	char *p = paths[n++ % 8], *d;

	snprintf(p, 512, "%s/%s", dir, name);
	d = path_dirname(p);
	mkdir_p(d, 0755);
	free(d);
	write_file_atomic(p, data, len, 0644);
	return p;
}

static const char *put_str(const char *name, const char *text)
{
	return put(name, text, strlen(text));
}

static void vectors(void)
{
	static const struct {
		const char *in;
		const char *hex;
	} v[] = {
		{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
		{ "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
		  "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1" },
	};
	char hex[65];
	struct sha256 s;
	uint8_t d[32], block[1000];

	for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
		sha256_hex(v[i].in, strlen(v[i].in), hex);
		is_str(hex, v[i].hex, "FIPS 180 vector %zu (%zu bytes)", i, strlen(v[i].in));
	}
	/* one million 'a', fed in odd-sized pieces */
	memset(block, 'a', sizeof block);
	sha256_init(&s);
	for (int i = 0; i < 1000; i++) {
		sha256_update(&s, block, 999);
		sha256_update(&s, block, 1);
	}
	sha256_final(&s, d);
	sha256_to_hex(d, hex);
	is_str(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
	       "one million 'a' in uneven pieces");
	/* every length around the 55/56/64-byte padding edges */
	for (size_t n = 50; n <= 130; n++) {
		char h1[65], h2[65];

		sha256_hex(block, n, h1);
		sha256_init(&s);
		for (size_t i = 0; i < n; i++)
			sha256_update(&s, block + i, 1);
		sha256_final(&s, d);
		sha256_to_hex(d, h2);
		if (strcmp(h1, h2)) {
			ok(0, "byte-wise and one-shot agree at length %zu", n);
			return;
		}
	}
	ok(1, "byte-wise and one-shot agree for lengths 50..130");
}

/* sha256sum's digest of path, or "" if it cannot run. */
static void sha256sum(const char *path, char out[65])
{
	int fds[2];
	pid_t pid;
	ssize_t n;

	out[0] = '\0';
	if (pipe(fds))
		return;
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		execlp("sha256sum", "sha256sum", path, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	n = read(fds[0], out, 64);
	out[n == 64 ? 64 : 0] = '\0';
	close(fds[0]);
	waitpid(pid, NULL, 0);
}

static void against_sha256sum(void)
{
	static uint8_t big[300000];
	char mine[65], theirs[65];
	uint64_t size = 0;
	uint32_t x = 12345;
	const char *p;

	for (size_t i = 0; i < sizeof big; i++) {
		x = x * 1103515245 + 12345;
		big[i] = (uint8_t)(x >> 16);
	}
	p = put("random.bin", big, sizeof big);
	is_int(sha256_file(p, mine, &size), 0, "sha256_file reads a 300 kB file");
	is_int(size, sizeof big, "and reports its size");
	sha256sum(p, theirs);
	if (!theirs[0]) {
		ok(1, "# SKIP sha256sum not available");
		return;
	}
	is_str(mine, theirs, "same digest as sha256sum");
	is_int(sha256_file("/nonexistent/x", mine, NULL), -ENOENT, "missing file: -ENOENT");
}

static void adding(void)
{
	struct firmware fw;
	struct strbuf err = STRBUF_INIT;
	const char *boot = put("boot.bin", "0123456789", 10), *app = put("app.bin", "ABCDEF", 6);
	char cwd[4096];

	firmware_init(&fw);
	is_int(firmware_add(&fw, 0x10000, app, &err), 0, "add app.bin at 0x10000");
	is_int(firmware_add(&fw, 0x1000, boot, &err), 0, "add boot.bin at 0x1000");
	is_int(fw.n, 2, "two images");
	is_int(fw.images[0].offset, 0x1000, "sorted by offset");
	is_int(fw.total_size, 16, "total size");
	is_int(firmware_add(&fw, 0x1000, app, &err), -EINVAL, "same offset twice: error");
	ok(strstr(err.buf, "0x1000 given twice") != NULL, "message: offset given twice");
	strbuf_reset(&err);
	is_int(firmware_add(&fw, 0x1800, app, &err), -EINVAL,
	       "an image in the same 4 KiB sector as another: error");
	ok(strstr(err.buf, "overlap") && strstr(err.buf, "sector"), "message: shares a sector");
	strbuf_reset(&err);
	is_int(firmware_add(&fw, 0x2000, put("gap.bin", "x", 1), &err), 0,
	       "the next sector is free");
	strbuf_reset(&err);
	is_int(firmware_add(&fw, 0x20000, "/nonexistent/app.bin", &err), -ENOENT,
	       "missing file: -ENOENT");
	is_str(err.buf, "image file '/nonexistent/app.bin' not found", "message names the file");
	strbuf_reset(&err);
	is_int(firmware_add(&fw, 0x20000, put("empty.bin", "", 0), &err), -EINVAL,
	       "empty file: error");
	ok(strstr(err.buf, "is empty") != NULL, "message: empty");
	strbuf_reset(&err);
	is_int(firmware_add(&fw, 0x20000, dir, &err), -EINVAL, "a directory: error");
	if (geteuid() != 0) {
		const char *locked = put("locked.bin", "x", 1);

		chmod(locked, 0);
		strbuf_reset(&err);
		is_int(firmware_add(&fw, 0x20000, locked, &err), -EACCES, "unreadable: -EACCES");
	}
	/* a relative path becomes absolute */
	if (getcwd(cwd, sizeof cwd) && !chdir(dir)) {
		strbuf_reset(&err);
		is_int(firmware_add(&fw, 0x30000, "app.bin", &err), 0, "relative path");
		ok(fw.images[fw.n - 1].path[0] == '/' && str_ends_with(fw.images[fw.n - 1].path,
								       "/app.bin"),
		   "stored absolute (%s)", fw.images[fw.n - 1].path);
		if (chdir(cwd))
			diag("chdir back failed");
	}
	firmware_release(&fw);
	strbuf_release(&err);
}

static void specs(void)
{
	struct firmware fw;
	struct strbuf err = STRBUF_INIT;
	const char *app = put("app.bin", "ABCDEF", 6);
	char arg[600];

	firmware_init(&fw);
	is_int(firmware_add_spec(&fw, app, 0x10000, &err), 0, "--firmware FILE");
	is_int(fw.images[0].offset, 0x10000, "at the default offset");
	firmware_release(&fw);
	snprintf(arg, sizeof arg, "%s@0x0", app);
	is_int(firmware_add_spec(&fw, arg, 0x10000, &err), 0, "--firmware FILE@0x0");
	is_int(fw.images[0].offset, 0, "merged binary at 0x0");
	firmware_release(&fw);
	snprintf(arg, sizeof arg, "%s@0xZZ", app);
	is_int(firmware_add_spec(&fw, arg, 0x10000, &err), -EINVAL, "FILE@0xZZ: error");
	ok(strstr(err.buf, "bad offset '0xZZ': not a hex number") != NULL, "message: offset not hex");
	strbuf_reset(&err);
	snprintf(arg, sizeof arg, "%s@zz", app);
	is_int(firmware_add_spec(&fw, arg, 0x10000, &err), -EINVAL, "FILE@zz: error");
	ok(strstr(err.buf, "bad offset 'zz'") != NULL && !strstr(err.buf, "not found"),
	   "message: a bad offset, not a missing file");
	if (!strstr(err.buf, "bad offset 'zz'"))
		diag("got: %s", err.buf);
	strbuf_reset(&err);
	{
		struct strbuf warn = STRBUF_INIT;
		const char *at = put_str("fw@2.bin", "x");

		is_int(firmware_add_spec(&fw, at, 0x10000, &err), 0, "a file named with an '@' is a file");
		firmware_release(&fw);
		snprintf(arg, sizeof arg, "%s@0x10800", app);
		is_int(firmware_add_spec(&fw, arg, 0x10000, &err), 0, "FILE@0x10800: not on a sector, but no error");
		firmware_warnings(&fw, &warn);
		ok(strstr(warn.buf, "at 0x10800 is not on a 4 KiB flash sector boundary") != NULL,
		   "... a warning");
		firmware_release(&fw);
		strbuf_reset(&warn);
		snprintf(arg, sizeof arg, "%s@0x10000", app);
		firmware_add_spec(&fw, arg, 0x10000, &err);
		firmware_warnings(&fw, &warn);
		is_str(warn.buf, "", "no warning for an aligned offset");
		firmware_release(&fw);
		strbuf_release(&warn);
	}
	strbuf_reset(&err);
	snprintf(arg, sizeof arg, "0x8000=%s", app);
	is_int(firmware_add_image_arg(&fw, arg, &err), 0, "--image 0x8000=FILE");
	is_int(fw.images[0].offset, 0x8000, "offset 0x8000");
	snprintf(arg, sizeof arg, "9000=%s", app);
	is_int(firmware_add_image_arg(&fw, arg, &err), 0, "--image 9000=FILE (hex without 0x)");
	is_int(fw.images[1].offset, 0x9000, "offset 0x9000");
	strbuf_reset(&err);
	snprintf(arg, sizeof arg, "0x1g=%s", app);
	is_int(firmware_add_image_arg(&fw, arg, &err), -EINVAL, "--image 0x1g=FILE: error");
	ok(strstr(err.buf, "'0x1g' is not hex") != NULL, "message names the offset");
	strbuf_reset(&err);
	is_int(firmware_add_image_arg(&fw, "app.bin", &err), -EINVAL, "--image without '=': error");
	firmware_release(&fw);
	strbuf_release(&err);
}

/* An ESP-IDF build folder with its generated flash_args. */
static const char *idf_build(const char *opts)
{
	char text[512];

	put("build/bootloader/bootloader.bin", "BOOTLOADER", 10);
	put("build/partition_table/partition-table.bin", "PARTITIONS", 10);
	put("build/hello_world.bin", "HELLO WORLD APP", 15);
	snprintf(text, sizeof text,
		 "%s\n0x1000 bootloader/bootloader.bin\n0x10000 hello_world.bin\n0x8000 partition_table/partition-table.bin\n",
		 opts);
	return put_str("build/flash_args", text);
}

static void flash_args(void)
{
	struct firmware fw;
	struct strbuf err = STRBUF_INIT;
	const char *fa = idf_build("--flash_mode dio --flash_freq 80m --flash_size 2MB");
	char want[600];

	firmware_init(&fw);
	is_int(firmware_load_flash_args(&fw, fa, &err), 0, "ESP-IDF flash_args (v4 spelling)");
	is_int(fw.n, 3, "three images");
	snprintf(want, sizeof want, "%s/build/bootloader/bootloader.bin", dir);
	is_str(fw.images[0].path, want, "files relative to the flash_args folder");
	is_int(fw.images[1].offset, 0x8000, "sorted by offset (partition table second)");
	is_str(fw.flash_mode, "dio", "flash mode");
	is_str(fw.flash_freq, "80m", "flash freq");
	is_str(fw.flash_size, "2MB", "flash size");
	firmware_release(&fw);

	fa = idf_build("--flash-mode qio --flash-freq=40m -fs 4MB -z");
	is_int(firmware_load_flash_args(&fw, fa, &err), 0, "v5 spelling, --opt=value, -fs, -z");
	is_str(fw.flash_mode, "qio", "flash mode (dash spelling)");
	is_str(fw.flash_freq, "40m", "flash freq (=value)");
	is_str(fw.flash_size, "4MB", "flash size (-fs)");
	firmware_release(&fw);

	fa = idf_build("--flash_mode dio --encrypt");
	is_int(firmware_load_flash_args(&fw, fa, &err), -EINVAL, "unsupported option: error");
	snprintf(want, sizeof want, "%s:1: unsupported option '--encrypt'", fa);
	ok(!strncmp(err.buf, want, strlen(want)), "message names file:line and the option");
	firmware_release(&fw);

	strbuf_reset(&err);
	fa = put_str("build/flash_args", "--flash_mode dio\n0x1000 bootloader/bootloader.bin\n0x10000 missing.bin\n");
	is_int(firmware_load_flash_args(&fw, fa, &err), -ENOENT, "missing image: -ENOENT");
	snprintf(want, sizeof want, "%s:3: image file '%s/build/missing.bin' not found", fa, dir);
	is_str(err.buf, want, "message names flash_args:line and the file");
	firmware_release(&fw);

	strbuf_reset(&err);
	fa = put_str("build/flash_args", "--flash_mode dio\n1000x bootloader/bootloader.bin\n");
	is_int(firmware_load_flash_args(&fw, fa, &err), -EINVAL, "offset not hex: error");
	ok(strstr(err.buf, ":2: offset '1000x' is not hex") != NULL, "message: line 2, not hex");
	firmware_release(&fw);

	strbuf_reset(&err);
	is_int(firmware_load_flash_args(&fw, "/nonexistent/flash_args", &err), -ENOENT,
	       "missing flash_args: -ENOENT");
	ok(strstr(err.buf, "/nonexistent/flash_args") != NULL, "message names it");
	firmware_release(&fw);
	strbuf_release(&err);
}

static void from_config(void)
{
	struct config cfg;
	struct firmware fw;
	struct strbuf err = STRBUF_INIT, warn = STRBUF_INIT;
	char text[600], want[700];
	const char *conf;

	put("fw/boot.bin", "BOOT", 4);
	put("fw/app.bin", "APP!", 4);
	conf = put_str("fw/a.conf", "[firmware]\n0x1000 = boot.bin\n0x10000 = app.bin\n");
	config_init(&cfg);
	config_read_file(&cfg, conf, true, &err, &warn);
	firmware_init(&fw);
	is_int(firmware_from_config(&fw, &cfg, &err), 0, "[firmware] images");
	is_int(fw.n, 2, "two images");
	snprintf(want, sizeof want, "%s/fw/app.bin", dir);
	is_str(fw.images[1].path, want, "relative to the config file's folder");
	firmware_release(&fw);
	config_release(&cfg);

	conf = put_str("fw/b.conf", "[firmware]\n0x1000 = boot.bin\n0x10000 = gone.bin\n");
	config_init(&cfg);
	config_read_file(&cfg, conf, true, &err, &warn);
	strbuf_reset(&err);
	is_int(firmware_from_config(&fw, &cfg, &err), -ENOENT, "a missing config image: -ENOENT");
	snprintf(want, sizeof want, "%s:3: [firmware] 0x10000: image file '%s/fw/gone.bin' not found",
		 conf, dir);
	is_str(err.buf, want, "message: config file:line, the key and the file");
	firmware_release(&fw);
	config_release(&cfg);

	idf_build("--flash_mode dio --flash_freq 80m --flash_size 2MB");
	snprintf(text, sizeof text, "[firmware]\nflash_args = ../build/flash_args\n");
	conf = put_str("fw/c.conf", text);
	config_init(&cfg);
	config_read_file(&cfg, conf, true, &err, &warn);
	strbuf_reset(&err);
	is_int(firmware_from_config(&fw, &cfg, &err), 0, "[firmware] flash_args");
	is_int(fw.n, 3, "its three images");
	is_str(fw.flash_size, "2MB", "its flash size");
	firmware_release(&fw);
	config_release(&cfg);

	conf = put_str("fw/d.conf", "[firmware]\nflash_args = nowhere/flash_args\n");
	config_init(&cfg);
	config_read_file(&cfg, conf, true, &err, &warn);
	strbuf_reset(&err);
	is_int(firmware_from_config(&fw, &cfg, &err), -ENOENT, "missing flash_args: -ENOENT");
	snprintf(want, sizeof want, "%s:2: [firmware] flash_args: cannot read", conf);
	ok(!strncmp(err.buf, want, strlen(want)), "message: config file:line and the key");
	firmware_release(&fw);
	config_release(&cfg);

	config_init(&cfg);
	strbuf_reset(&err);
	is_int(firmware_from_config(&fw, &cfg, &err), -ENOENT, "no firmware configured: -ENOENT");
	ok(strstr(err.buf, "--firmware") != NULL, "message says how to give one");
	config_release(&cfg);
	strbuf_release(&err);
	strbuf_release(&warn);
}

static void finalize(void)
{
	struct firmware fw;
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;
	const char *boot = put("fin/boot.bin", "0123456789", 10);
	const char *app = put("fin/app.bin", "ABCDEF", 6);
	char hex[65], lines[300], want[1200];

	firmware_init(&fw);
	is_int(firmware_finalize(&fw, &err), -ENOENT, "no images: error");
	firmware_add(&fw, 0x10000, app, &err);
	is_int(firmware_finalize(&fw, &err), 0, "one image");
	sha256_hex("ABCDEF", 6, hex);
	is_str(fw.sha256, hex, "identity of one image: its SHA-256");
	is_int(fw.sizes[0], 6, "sizes array for flash_progress_init");
	firmware_add(&fw, 0x1000, boot, &err);
	is_int(firmware_finalize(&fw, &err), 0, "two images");
	snprintf(lines, sizeof lines, "0x1000 %s\n0x10000 %s\n", fw.images[0].sha256,
		 fw.images[1].sha256);
	sha256_hex(lines, strlen(lines), hex);
	is_str(fw.sha256, hex, "identity of several: SHA-256 of the offset/SHA lines");
	firmware_summary(&fw, &out);
	is_str(out.buf, "boot.bin@0x1000 app.bin@0x10000", "summary");
	strbuf_reset(&out);
	firmware_json(&fw, &out);
	snprintf(want, sizeof want,
		 "[{\"path\":\"%s\",\"offset\":\"0x1000\",\"size\":10,\"sha256\":\"%s\"},{\"path\":\"%s\",\"offset\":\"0x10000\",\"size\":6,\"sha256\":\"%s\"}]",
		 boot, fw.images[0].sha256, app, fw.images[1].sha256);
	is_str(out.buf, want, "JSON");
	unlink(app);
	strbuf_reset(&err);
	is_int(firmware_finalize(&fw, &err), -ENOENT, "an image gone before finalize: error");
	ok(strstr(err.buf, "app.bin") != NULL, "message names it");
	firmware_release(&fw);
	strbuf_release(&err);
	strbuf_release(&out);
}

/* nftw callback: remove one entry of the temp dir. */
static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	vectors();
	against_sha256sum();
	adding();
	specs();
	flash_args();
	from_config();
	finalize();
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return done_testing();
}
