/* boards.h - the named-board registry for Klipper/Kalico boards
 * ($XDG_CONFIG_HOME/flashbay/boards.ini, [klipper] boards in flashbay.conf).
 *
 * One INI section per board:
 *
 *     [octopus]
 *     name = Octopus Pro H723
 *     mcu = stm32h723
 *     serial_pattern = usb-Klipper_stm32h723xx_29001A001151313531383332*
 *     method = katapult            ; katapult, make_flash or default
 *     klipper_dir = ~/kalico       ; optional: this board's own tree
 *
 * The file is read with inih; every problem is reported as "file:line: ..."
 * and a file with any error is never rewritten (boards_save() refuses a
 * registry that did not load cleanly). Writes are atomic (temp file, fsync,
 * rename, fsync of the folder), mode 0644, boards in a stable order: the
 * order of the file, new boards appended. Comments are not preserved.
 *
 * Matching a device to a board (boards_match()) is done on the by-id name's
 * basename: the board's serial_pattern is an fnmatch(3) glob; when it does
 * not match the whole name, the pattern's last '_'-separated field (the
 * serial part) is matched against the name's last field, so a pattern
 * written for usb-Klipper_<mcu>_<serial> still finds the board as
 * usb-katapult_<mcu>_<serial> (in the bootloader) or under a Kalico
 * manufacturer string. That fallback needs at least 8 literal characters in
 * the pattern's serial field, so "usb-Klipper_*" never matches by serial.
 */
#ifndef FLASHBAY_BOARDS_H
#define FLASHBAY_BOARDS_H

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"

enum board_method { BOARD_METHOD_DEFAULT, BOARD_METHOD_KATAPULT, BOARD_METHOD_MAKE_FLASH };

struct board {
	char *key;            /* section name: [A-Za-z0-9_-], starts with a letter or digit */
	char *name;           /* free text (raw: sanitise before display), or NULL */
	char *mcu;            /* lowercase, e.g. "stm32h723" */
	char *serial_pattern; /* fnmatch glob on the by-id basename */
	enum board_method method;
	char *klipper_dir;      /* as written in the file ("~/kalico"), or NULL */
	char *klipper_dir_path; /* klipper_dir expanded (~, relative to the file's folder), or NULL */
	int line;             /* line of the section header in the file; 0 if added in memory */
};

struct boards {
	char *path;
	struct board *v;
	size_t n, alloc;
	bool loaded_with_errors; /* boards_save() refuses to overwrite such a file */
};

void boards_init(struct boards *b, const char *path);
/* Free every board and the path. */
void boards_release(struct boards *b);

/* Read path. A missing file is an empty registry (0). Errors go to err as
 * "file:line: message" lines and return -EINVAL (the boards that were valid
 * are kept for display, but boards_save() will refuse). Other read errors:
 * -errno with a message. */
int boards_load(struct boards *b, struct strbuf *err);
/* Write atomically, creating the folder (0755) if needed. Refuses (-EPERM,
 * with a message) when the file loaded with errors. */
int boards_save(const struct boards *b, struct strbuf *err);

/* The board with this key, or NULL. */
struct board *boards_find(const struct boards *b, const char *key);
/* Add a copy of nb (validated; key must be new). 0, -EEXIST or -EINVAL with a message. */
int boards_add(struct boards *b, const struct board *nb, struct strbuf *err);
/* Remove the board with this key: 0 or -ENOENT. */
int boards_remove(struct boards *b, const char *key);

/* Validation, each appending one message naming the value on failure. */
bool board_key_valid(const char *key, struct strbuf *err);
bool board_mcu_valid(const char *mcu, struct strbuf *err);
bool board_pattern_valid(const char *pattern, struct strbuf *err);
bool board_name_valid(const char *name, struct strbuf *err);
/* "katapult", "make_flash", "default" ('-' and '_' alike); -1 if unknown. */
int board_method_from_name(const char *name);
const char *board_method_name(enum board_method m);

/* Does a by-id name (a path or its basename) belong to board b? See the
 * matching rule at the top of this file. */
bool board_matches(const struct board *b, const char *by_id);
/* The first board that by_id matches, or NULL; *ambiguous (may be NULL) is
 * set when more than one board matches. */
struct board *boards_match(const struct boards *b, const char *by_id, bool *ambiguous);

/* mcu without an STM32 package/flash-size suffix ("x" + one letter or digit
 * after a digit), lowercase: stm32h723xx -> stm32h723, stm32f103xe ->
 * stm32f103; rp2040, sam3x8e and atmega2560 stay as they are. */
void board_mcu_base(const char *mcu, char *out, size_t size);

/* What a by-id name says about a Klipper/Katapult board, for `board add`:
 * "usb-Klipper_stm32h723xx_29001A001151313531383332-if00" gives
 * manufacturer "Klipper", product "stm32h723xx", mcu "stm32h723",
 * serial "29001A001151313531383332" and the pattern
 * "usb-Klipper_stm32h723xx_29001A001151313531383332*". */
struct board_proposal {
	char manufacturer[64];
	char product[64];
	char mcu[64];      /* product with an STM32 package suffix removed, lowercase */
	char serial[128];
	char pattern[320];
};
/* 0, or -EINVAL if the name does not look like usb-<mfr>_<product>_<serial>-ifNN. */
int boards_propose(const char *by_id, struct board_proposal *out);
/* The serial field of a by-id name (last '_' field without -ifNN), into out; 0 or -EINVAL. */
int boards_by_id_serial(const char *by_id, char *out, size_t size);

#endif
