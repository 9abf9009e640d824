/* test-boards.c - the board registry: reading, errors with file:line, atomic
 * writes that never touch a broken file, by-id matching on the serial. */
#include "autoconf.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../tap.h"
#include "array.h"
#include "boards.h"
#include "files.h"
#include "path.h"

static char dir[] = "/tmp/fb-boards-XXXXXX";

/* Write a file in the temp dir; returns its path (static buffer per slot). */
static const char *put(const char *name, const char *text)
{
	static char paths[8][512];
	static int n;
	char *p = paths[n++ % 8];

	snprintf(p, 512, "%s/%s", dir, name);
	write_file_atomic(p, text, strlen(text), 0644);
	return p;
}

static char *slurp(const char *path)
{
	struct strbuf sb = STRBUF_INIT;

	if (read_file(path, &sb)) {
		strbuf_release(&sb);
		return NULL;
	}
	return strbuf_detach(&sb);
}

static void reading(void)
{
	struct boards b;
	struct strbuf err = STRBUF_INIT;
	const char *path = put("good.ini",
			       "; my boards\n"
			       "[octopus]\n"
			       "name = Octopus Pro H723 ; inline comment\n"
			       "mcu = STM32H723\n"
			       "serial_pattern = usb-Klipper_stm32h723xx_29001A001151313531383332*\n"
			       "method = katapult\n"
			       "\n"
			       "[nitehawk]\n"
			       "mcu = rp2040\n"
			       "serial_pattern = usb-Klipper_rp2040_E6625C05E7324B2A*\n"
			       "method = make-flash\n"
			       "klipper_dir = trees/kalico\n");
	char want[600];

	boards_init(&b, path);
	is_int(boards_load(&b, &err), 0, "a valid registry loads");
	is_str(err.buf, "", "no messages");
	is_int(b.n, 2, "two boards");
	is_str(b.v[0].key, "octopus", "file order kept (1)");
	is_str(b.v[1].key, "nitehawk", "file order kept (2)");
	is_str(b.v[0].name, "Octopus Pro H723", "name without the inline comment");
	is_str(b.v[0].mcu, "stm32h723", "mcu stored lowercase");
	is_int(b.v[0].method, BOARD_METHOD_KATAPULT, "method katapult");
	is_int(b.v[1].method, BOARD_METHOD_MAKE_FLASH, "make-flash spelled with a dash is make_flash");
	is_int(b.v[1].name == NULL, 1, "no name: NULL");
	is_str(b.v[1].klipper_dir, "trees/kalico", "klipper_dir kept as written");
	snprintf(want, sizeof want, "%s/trees/kalico", dir);
	is_str(b.v[1].klipper_dir_path, want, "relative klipper_dir resolved against the file's folder");
	is_int(b.v[0].line, 2, "section line remembered");
	ok(boards_find(&b, "nitehawk") == &b.v[1], "find by key");
	ok(boards_find(&b, "nope") == NULL, "unknown key: NULL");
	boards_release(&b);

	boards_init(&b, "/nonexistent-dir/boards.ini");
	is_int(boards_load(&b, &err), 0, "a missing registry is an empty one");
	is_int(b.n, 0, "no boards");
	boards_release(&b);
	strbuf_release(&err);
}

/* Load text and return the error messages (caller frees). */
static char *load_errors(const char *name, const char *text, int *ret)
{
	struct boards b;
	struct strbuf err = STRBUF_INIT;

	boards_init(&b, put(name, text));
	*ret = boards_load(&b, &err);
	boards_release(&b);
	return strbuf_detach(&err);
}

static void errors(void)
{
	static const struct {
		const char *text, *want, *what;
	} cases[] = {
		{ "[oct opus]\nmcu = x\nserial_pattern = usb-x_12345678\n", ":1: 'oct opus' is not a valid board key",
		  "key with a space" },
		{ "[a]\nmcu = rp2040\nserial_pattern = usb-x_12345678\n[a]\nmcu = rp2040\n",
		  ":4: board [a] defined twice", "duplicate section" },
		{ "[a]\nmcu = rp2040\nserial_pattern = p\ncolour = red\n",
		  ":4: [a] unknown key 'colour'", "unknown key" },
		{ "[a]\nmcu = rp2040\nmcu = stm32h723\nserial_pattern = p\n", ":3: [a] 'mcu' given twice",
		  "key twice" },
		{ "\n[a]\nserial_pattern = p\n", ":2: [a] has no mcu", "missing mcu: the section's line" },
		{ "[a]\nmcu = rp2040\n", ":1: [a] has no serial_pattern", "missing serial_pattern" },
		{ "[a]\nmcu = rp2040\nserial_pattern = p\nmethod = dfu\n",
		  ":4: [a] method 'dfu' is not one of: katapult, make_flash, default", "bad method" },
		{ "mcu = rp2040\n[a]\nmcu = rp2040\nserial_pattern = p\n", ":1: 'mcu' is outside a [board] section",
		  "key before any section" },
		{ "[a]\nmcu = rp2040\nserial_pattern = p\nthis is not ini\n", ":4: syntax error", "syntax error" },
		{ "[a]\nmcu = rp 2040\nserial_pattern = p\n", ":2: [a] 'rp 2040' is not an MCU name", "bad mcu" },
		{ "[a]\nmcu = rp2040\nserial_pattern = usb x\n", ":3: [a] 'usb x' is not a serial pattern",
		  "pattern with a space" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int r;
		char *e = load_errors("bad.ini", cases[i].text, &r);

		is_int(r, -EINVAL, "%s: -EINVAL", cases[i].what);
		if (!ok(strstr(e, cases[i].want) != NULL, "%s: message names file:line", cases[i].what))
			diag("  got: %s", e);
		free(e);
	}
	{
		int r;
		char *line = malloc(3000), *text, *e;

		memset(line, 'x', 2999);
		line[2999] = '\0';
		text = malloc(3100);
		snprintf(text, 3100, "[a]\nname = %s\nmcu = rp2040\nserial_pattern = p\n", line);
		e = load_errors("long.ini", text, &r);
		ok(strstr(e, ":2: line too long") != NULL, "an over-long line is reported at its line");
		free(e);
		free(text);
		free(line);
	}
}

/* Count the entries of a folder (without . and ..). */
static int count_files(const char *folder)
{
	DIR *d = opendir(folder);
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	if (d)
		closedir(d);
	return n;
}

static void writing(void)
{
	struct boards b;
	struct strbuf err = STRBUF_INIT;
	struct board nb = { .key = "octopus", .name = "Octopus", .mcu = "stm32h723",
			    .serial_pattern = "usb-Klipper_stm32h723xx_29001A001151313531383332*",
			    .method = BOARD_METHOD_KATAPULT };
	char path[512], *text;
	struct stat st;

	snprintf(path, sizeof path, "%s/sub/dir/boards.ini", dir);
	boards_init(&b, path);
	is_int(boards_add(&b, &nb, &err), 0, "add a board");
	nb.key = "ebb";
	nb.name = NULL;
	nb.mcu = "stm32g0b1";
	nb.serial_pattern = "usb-Klipper_stm32g0b1xx_1234567890ABCDEF*";
	nb.method = BOARD_METHOD_DEFAULT;
	nb.klipper_dir = "~/kalico";
	is_int(boards_add(&b, &nb, &err), 0, "add another");
	is_int(boards_add(&b, &nb, &err), -EEXIST, "adding the same key again: -EEXIST");
	ok(strstr(err.buf, "'ebb' is already registered") != NULL, "duplicate add explained");
	strbuf_reset(&err);
	nb.key = "bad key";
	is_int(boards_add(&b, &nb, &err), -EINVAL, "an invalid key is refused");
	strbuf_reset(&err);
	is_int(boards_save(&b, &err), 0, "save creates the folders and writes");
	is_int(stat(path, &st), 0, "file exists");
	is_int(st.st_mode & 0777, 0644, "mode 0644");
	{
		char *folder = path_dirname(path);

		is_int(count_files(folder), 1, "no temp file left next to it");
		free(folder);
	}
	boards_release(&b);

	snprintf(path, sizeof path, "%s/sub/dir/boards.ini", dir);
	text = slurp(path);
	ok(text && strstr(text, "[octopus]\nname = Octopus\nmcu = stm32h723\n"
				"serial_pattern = usb-Klipper_stm32h723xx_29001A001151313531383332*\n"
				"method = katapult\n\n[ebb]\nmcu = stm32g0b1\n") != NULL,
	   "written in insertion order, default method omitted");
	ok(text && strstr(text, "klipper_dir = ~/kalico\n") != NULL, "klipper_dir written as given");
	free(text);

	boards_init(&b, path);
	is_int(boards_load(&b, &err), 0, "the written file loads again");
	is_int(b.n, 2, "both boards back");
	is_int(boards_remove(&b, "octopus"), 0, "remove");
	is_int(boards_remove(&b, "octopus"), -ENOENT, "remove again: -ENOENT");
	is_int(boards_save(&b, &err), 0, "save after remove");
	boards_release(&b);
	text = slurp(path);
	ok(text && !strstr(text, "octopus") && strstr(text, "[ebb]"), "the removed board is gone");
	free(text);
	strbuf_release(&err);
}

static void broken_file_kept(void)
{
	const char *text = "; hand edited\n[a]\nmcu = rp2040\nserial_pattern = p\nmethod = dfu\n";
	const char *path = put("broken.ini", text);
	struct boards b;
	struct strbuf err = STRBUF_INIT;
	struct board nb = { .key = "b", .mcu = "rp2040", .serial_pattern = "usb-x_ABCDEF0123" };
	char *after;

	boards_init(&b, path);
	is_int(boards_load(&b, &err), -EINVAL, "broken file: load fails");
	is_int(boards_add(&b, &nb, &err), 0, "adding in memory still works");
	strbuf_reset(&err);
	is_int(boards_save(&b, &err), -EPERM, "save refuses a file that loaded with errors");
	ok(strstr(err.buf, "has errors; fix it by hand first") != NULL, "refusal explained");
	after = slurp(path);
	is_str(after, text, "the broken file is byte-identical");
	free(after);
	boards_release(&b);
	strbuf_release(&err);
}

static void matching(void)
{
	struct board oct = { .key = "octopus", .mcu = "stm32h723",
			     .serial_pattern = "usb-Klipper_stm32h723xx_29001A001151313531383332*" };
	struct board loose = { .key = "any", .mcu = "rp2040", .serial_pattern = "usb-Klipper_*" };
	struct board exact = { .key = "ex", .mcu = "stm32h723",
			       .serial_pattern = "usb-Klipper_stm32h723xx_29001A001151313531383332-if00" };
	struct boards b = { 0 };

	ok(board_matches(&oct, "usb-Klipper_stm32h723xx_29001A001151313531383332-if00"),
	   "pattern matches the Klipper by-id name");
	ok(board_matches(&oct, "/dev/serial/by-id/usb-Klipper_stm32h723xx_29001A001151313531383332-if00"),
	   "a full path is matched on its basename");
	ok(board_matches(&oct, "usb-katapult_stm32h723xx_29001A001151313531383332-if00"),
	   "same serial in the Katapult bootloader still matches");
	ok(board_matches(&oct, "usb-Kalico_Octopus_29001A001151313531383332-if00"),
	   "same serial under a Kalico manufacturer/product still matches");
	ok(board_matches(&exact, "usb-katapult_stm32h723xx_29001A001151313531383332-if00"),
	   "exact -if00 pattern: serial field matches in the bootloader too");
	ok(!board_matches(&oct, "usb-Klipper_stm32h723xx_39001A001151313531383332-if00"),
	   "another serial does not match");
	ok(!board_matches(&oct, "usb-Klipper_stm32h723xx_29001A0011513135313833-if00"),
	   "a shorter serial does not match");
	ok(board_matches(&loose, "usb-Klipper_rp2040_E6625C05E7324B2A-if00"), "a loose glob matches by name");
	ok(!board_matches(&loose, "usb-katapult_rp2040_E6625C05E7324B2A-if00"),
	   "a glob with no literal serial never matches by the serial rule");

	b.v = (struct board[]){ oct, loose, exact };
	b.n = 3;
	{
		bool amb;
		struct board *m = boards_match(&b, "usb-Klipper_rp2040_E6625C05E7324B2A-if00", &amb);

		ok(m && !strcmp(m->key, "any") && !amb, "boards_match finds the one board");
		m = boards_match(&b, "usb-Klipper_stm32h723xx_29001A001151313531383332-if00", &amb);
		ok(m && !strcmp(m->key, "octopus") && amb, "two boards match: the first, flagged ambiguous");
		ok(!boards_match(&b, "usb-1a86_USB_Serial-if00-port0", NULL), "unrelated device: none");
	}
}

static void proposing(void)
{
	struct board_proposal pr;
	char serial[64];

	is_int(boards_propose("/dev/serial/by-id/usb-Klipper_stm32h723xx_29001A001151313531383332-if00", &pr),
	       0, "propose from a Klipper by-id name");
	is_str(pr.manufacturer, "Klipper", "manufacturer");
	is_str(pr.product, "stm32h723xx", "product");
	is_str(pr.mcu, "stm32h723", "mcu without the package suffix");
	is_str(pr.serial, "29001A001151313531383332", "serial");
	is_str(pr.pattern, "usb-Klipper_stm32h723xx_29001A001151313531383332*", "pattern");
	is_int(boards_propose("usb-katapult_rp2040_E6625C05E7324B2A-if00", &pr), 0, "Katapult name");
	is_str(pr.mcu, "rp2040", "rp2040 stays rp2040");
	is_str(pr.serial, "E6625C05E7324B2A", "rp2040 serial");
	is_int(boards_propose("usb-Silicon_Labs_CP2102_USB_to_UART_Bridge_Controller_0001-if00-port0", &pr),
	       0, "other names parse too");
	is_str(pr.serial, "0001", "serial before -if00-port0");
	is_int(boards_propose("pci-0000:00:14.0-usb-0:1:1.0", &pr), -EINVAL, "not a by-id usb name");
	is_int(boards_by_id_serial("usb-Klipper_rp2040_E6625C05E7324B2A-if00", serial, sizeof serial), 0,
	       "serial helper");
	is_str(serial, "E6625C05E7324B2A", "serial helper value");
}

static void small_rules(void)
{
	char base[32];

	board_mcu_base("stm32h723xx", base, sizeof base);
	is_str(base, "stm32h723", "stm32h723xx -> stm32h723");
	board_mcu_base("STM32F103XE", base, sizeof base);
	is_str(base, "stm32f103", "STM32F103XE -> stm32f103");
	board_mcu_base("sam3x8e", base, sizeof base);
	is_str(base, "sam3x8e", "sam3x8e unchanged");
	board_mcu_base("atmega2560", base, sizeof base);
	is_str(base, "atmega2560", "atmega2560 unchanged");
	is_int(board_method_from_name("make_flash"), BOARD_METHOD_MAKE_FLASH, "make_flash");
	is_int(board_method_from_name("Katapult"), BOARD_METHOD_KATAPULT, "case-insensitive");
	is_int(board_method_from_name("dfu"), -1, "unknown method");
	is_str(board_method_name(BOARD_METHOD_DEFAULT), "default", "method names");
	ok(board_key_valid("octopus-pro_1", NULL), "key with - and _");
	ok(!board_key_valid("-x", NULL), "key starting with -");
	ok(!board_key_valid("a/b", NULL), "key with /");
	ok(!board_name_valid("a;b", NULL), "name with ; (inline comment)");
	ok(!board_name_valid("a\033[2Jb", NULL), "name with an escape");
	ok(board_name_valid("Octopus Pro (Voron 2.4)", NULL), "ordinary name");
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	reading();
	errors();
	writing();
	broken_file_kept();
	matching();
	proposing();
	small_rules();
	{
		char cmd[600];

		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		if (system(cmd))
			diag("cleanup failed");
	}
	return done_testing();
}
