/* firmware.h - the set of images to write: from [firmware], from ESP-IDF's
 * flash_args file, or from the command line; checked before anything runs.
 */
#ifndef FLASHBAY_FIRMWARE_H
#define FLASHBAY_FIRMWARE_H

#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

struct config;

struct firmware_image {
	uint32_t offset;
	char *path;        /* absolute */
	uint64_t size;
	char sha256[65];   /* lowercase hex */
};

struct firmware {
	struct firmware_image *images; /* sorted by offset, no overlaps */
	size_t n;
	uint64_t total_size;
	uint64_t *sizes;               /* n image sizes in offset order, for
					* flash_progress_init(); set by firmware_finalize() */
	/* flash options from a flash_args file (NULL: not given there) */
	char *flash_mode, *flash_freq, *flash_size;
	/* identity for history and the dashboard: the image's SHA-256 if there is
	 * one, else SHA-256 of the "0xOFFSET SHA256\n" lines in offset order
	 * (offset as "0x%x": "0x1000 3a7b...\n0x10000 9c1d...\n") */
	char sha256[65];
};

void firmware_init(struct firmware *fw);
void firmware_release(struct firmware *fw);

/* Add one image (path relative to the current directory). Errors: missing
 * or unreadable file, empty file, overlap with another image (also sharing
 * a 4 KiB flash sector, which esptool rejects). Messages go to err, which
 * the caller may prefix ("file:line: "); returns 0 or -errno. */
int firmware_add(struct firmware *fw, uint32_t offset, const char *path, struct strbuf *err);
/* Parse "FILE" or "FILE@0xOFFSET" (--firmware); default_offset if there is
 * no '@'. Text after the last '@' must be a hex offset ("bad offset"),
 * unless the whole spec names an existing file (e.g. "app@2.bin"). */
int firmware_add_spec(struct firmware *fw, const char *spec, uint32_t default_offset,
		      struct strbuf *err);
/* Parse "0xOFFSET=FILE" (--image; the 0x may be left out). */
int firmware_add_image_arg(struct firmware *fw, const char *arg, struct strbuf *err);
/* Read ESP-IDF's flash_args: a line of flash options (--flash_mode dio
 * --flash_freq 80m --flash_size 2MB, either spelling, "--opt=value" too;
 * -z/--compress ignored; any other option is an error) and "0xOFFSET FILE"
 * lines, files relative to the file's folder. Errors name path:line. */
int firmware_load_flash_args(struct firmware *fw, const char *path, struct strbuf *err);
/* The images of cfg's [firmware] (offsets or flash_args). Errors name the
 * config file:line of the bad entry; -ENOENT if none are configured. */
int firmware_from_config(struct firmware *fw, const struct config *cfg, struct strbuf *err);
/* Compute sizes, SHA-256s and the identity; call after the last add.
 * Re-checks that every file is still there. */
int firmware_finalize(struct firmware *fw, struct strbuf *err);

/* One line per thing worth a warning (no error): an image offset that is
 * not on a 4 KiB flash sector (esptool erases the whole sector around it). */
void firmware_warnings(const struct firmware *fw, struct strbuf *out);

/* JSON array [{"path":..,"offset":"0x1000","size":..,"sha256":..}, ...] */
void firmware_json(const struct firmware *fw, struct strbuf *out);
/* "bootloader.bin@0x1000 app.bin@0x10000" (file names only). */
void firmware_summary(const struct firmware *fw, struct strbuf *out);

#endif
