/* firmware.c - the images to write: checks, ESP-IDF flash_args, identity. */
#include "autoconf.h"

#include "firmware.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "array.h"
#include "config.h"
#include "files.h"
#include "json.h"
#include "parse.h"
#include "path.h"
#include "sha256.h"
#include "strvec.h"
#include "text.h"
#include "xalloc.h"

#define SECTOR 0x1000u

void firmware_init(struct firmware *fw)
{
	memset(fw, 0, sizeof *fw);
}

void firmware_release(struct firmware *fw)
{
	for (size_t i = 0; i < fw->n; i++)
		free(fw->images[i].path);
	free(fw->images);
	free(fw->sizes);
	free(fw->flash_mode);
	free(fw->flash_freq);
	free(fw->flash_size);
	firmware_init(fw);
}

/* path made absolute against the current directory (not resolved further). */
static char *absolute(const char *path)
{
	char cwd[4096];

	if (path[0] == '/' || !getcwd(cwd, sizeof cwd))
		return xstrdup(path);
	return path_join(cwd, path);
}

/* Is path an existing, readable, non-empty regular file? Its size in *size. */
static int image_check(const char *path, uint64_t *size, struct strbuf *err)
{
	struct stat st;
	int fd;

	if (stat(path, &st) < 0) {
		int e = errno;

		if (e == ENOENT)
			strbuf_addf(err, "image file '%s' not found", path);
		else
			strbuf_addf(err, "cannot read image file '%s': %s", path, strerror(e));
		return -e;
	}
	if (!S_ISREG(st.st_mode)) {
		strbuf_addf(err, "image file '%s' is not a regular file", path);
		return -EINVAL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;

		strbuf_addf(err, "cannot read image file '%s': %s", path, strerror(e));
		return -e;
	}
	close(fd);
	if (st.st_size == 0) {
		strbuf_addf(err, "image file '%s' is empty", path);
		return -EINVAL;
	}
	*size = (uint64_t)st.st_size;
	return 0;
}

/* First and one-past-last flash sector byte addresses an image touches. */
static void sector_span(uint32_t off, uint64_t size, uint64_t *start, uint64_t *end)
{
	*start = off & ~(uint64_t)(SECTOR - 1);
	*end = ((uint64_t)off + size + SECTOR - 1) & ~(uint64_t)(SECTOR - 1);
}

/* Would an image at off of size collide with image o? esptool erases whole
 * 4 KiB sectors, so sharing a sector is a collision too. */
static int overlap_check(const struct firmware_image *o, uint32_t off, uint64_t size,
			 const char *path, struct strbuf *err)
{
	uint64_t s1, e1, s2, e2;

	if (o->offset == off) {
		strbuf_addf(err, "offset 0x%x given twice ('%s' and '%s')", off, o->path, path);
		return -EINVAL;
	}
	sector_span(o->offset, o->size, &s1, &e1);
	sector_span(off, size, &s2, &e2);
	if (s2 >= e1 || s1 >= e2)
		return 0;
	if ((uint64_t)off < o->offset + o->size && o->offset < (uint64_t)off + size)
		strbuf_addf(err, "images overlap: '%s' at 0x%x (%llu bytes) and '%s' at 0x%x (%llu bytes)",
			    o->path, o->offset, (unsigned long long)o->size, path, off,
			    (unsigned long long)size);
	else
		strbuf_addf(err, "images overlap: '%s' at 0x%x and '%s' at 0x%x share a 4 KiB flash sector (esptool erases whole sectors)",
			    o->path, o->offset, path, off);
	return -EINVAL;
}

/* Insert keeping the array sorted by offset; takes ownership of abs. */
static void insert_image(struct firmware *fw, uint32_t off, char *abs, uint64_t size)
{
	size_t i = fw->n;

	fw->images = xrealloc(fw->images, (fw->n + 1) * sizeof *fw->images);
	while (i > 0 && fw->images[i - 1].offset > off) {
		fw->images[i] = fw->images[i - 1];
		i--;
	}
	memset(&fw->images[i], 0, sizeof fw->images[i]);
	fw->images[i].offset = off;
	fw->images[i].path = abs;
	fw->images[i].size = size;
	fw->n++;
	fw->total_size += size;
}

int firmware_add(struct firmware *fw, uint32_t offset, const char *path, struct strbuf *err)
{
	char *abs;
	uint64_t size = 0;
	int r;

	if (!path || !*path) {
		strbuf_addf(err, "no image file given for offset 0x%x", offset);
		return -EINVAL;
	}
	abs = absolute(path);
	r = image_check(abs, &size, err);
	for (size_t i = 0; !r && i < fw->n; i++)
		r = overlap_check(&fw->images[i], offset, size, abs, err);
	if (r) {
		free(abs);
		return r;
	}
	insert_image(fw, offset, abs, size);
	return 0;
}

/* Parse a hex offset that must start with 0x. */
static int parse_offset(const char *s, uint32_t *out)
{
	if (!s || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return -EINVAL;
	return parse_hex_u32(s, out);
}

int firmware_add_spec(struct firmware *fw, const char *spec, uint32_t default_offset,
		      struct strbuf *err)
{
	const char *at = strrchr(spec, '@');
	uint32_t off = default_offset;
	struct stat st;
	char *file;
	int r;

	/* a file whose name has an '@' is still a file */
	if (!at || !stat(spec, &st))
		return firmware_add(fw, default_offset, spec, err);
	if (parse_offset(at + 1, &off)) {
		strbuf_addf(err, "'%s': bad offset '%s': not a hex number (FILE@0x10000)", spec, at + 1);
		return -EINVAL;
	}
	file = xstrndup(spec, (size_t)(at - spec));
	r = firmware_add(fw, off, file, err);
	free(file);
	return r;
}

int firmware_add_image_arg(struct firmware *fw, const char *arg, struct strbuf *err)
{
	const char *eq = strchr(arg, '=');
	char *off_s;
	uint32_t off;
	int r;

	if (!eq) {
		strbuf_addf(err, "'%s': expected OFFSET=FILE (e.g. 0x10000=app.bin)", arg);
		return -EINVAL;
	}
	off_s = xstrndup(arg, (size_t)(eq - arg));
	r = parse_hex_u32(off_s, &off);
	if (r)
		strbuf_addf(err, "'%s': offset '%s' is not hex (e.g. 0x10000=app.bin)", arg, off_s);
	free(off_s);
	return r ? -EINVAL : firmware_add(fw, off, eq + 1, err);
}

/* State while reading one flash_args file. */
struct fa_parse {
	struct firmware *fw;
	const char *path;
	char *dir;
	int line;
	struct strbuf *err;
};

/* Which firmware field does a flash_args option set? NULL: not a flash option. */
static char **flash_option(struct firmware *fw, const char *name)
{
	static const char *const names[][3] = {
		{ "--flash_mode", "--flash-mode", "-fm" },
		{ "--flash_freq", "--flash-freq", "-ff" },
		{ "--flash_size", "--flash-size", "-fs" },
	};
	char **fields[] = { &fw->flash_mode, &fw->flash_freq, &fw->flash_size };

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		for (size_t j = 0; j < 3; j++)
			if (!strcmp(name, names[i][j]))
				return fields[i];
	return NULL;
}

/* A flash option value: letters, digits and '-' ("dio", "80m", "2MB", "4MB-c1"). */
static bool option_value_ok(const char *v)
{
	if (!*v)
		return false;
	for (; *v; v++)
		if (!isalnum((unsigned char)*v) && *v != '-')
			return false;
	return true;
}

/* One option of the options line; *i advances past its value. */
static int fa_option(struct fa_parse *p, const struct strvec *tok, size_t *i)
{
	char *name = xstrdup(tok->v[*i]), *eq = strchr(name, '='), **field;
	const char *value = NULL;
	int r = 0;

	if (eq) {
		*eq = '\0';
		value = eq + 1;
	}
	field = flash_option(p->fw, name);
	if (!field && (!strcmp(name, "-z") || !strcmp(name, "--compress"))) {
		free(name);
		return 0; /* esptool compresses by default */
	}
	if (!field) {
		strbuf_addf(p->err, "%s:%d: unsupported option '%s' (flashbay takes only --flash_mode, --flash_freq and --flash_size from flash_args)",
			    p->path, p->line, name);
		r = -EINVAL;
	} else if (!value && *i + 1 >= tok->n) {
		strbuf_addf(p->err, "%s:%d: option '%s' has no value", p->path, p->line, name);
		r = -EINVAL;
	} else {
		if (!value)
			value = tok->v[++*i];
		if (!option_value_ok(value)) {
			strbuf_addf(p->err, "%s:%d: bad value '%s' for %s", p->path, p->line, value,
				    name);
			r = -EINVAL;
		} else {
			free(*field);
			*field = xstrdup(value);
		}
	}
	free(name);
	return r;
}

/* "0x1000 bootloader/bootloader.bin": the file is the rest of the line. */
static int fa_image(struct fa_parse *p, const char *text, const char *off_s)
{
	const char *file = text + strlen(off_s);
	struct strbuf sub = STRBUF_INIT;
	uint32_t off;
	char *path;
	int r;

	while (*file == ' ' || *file == '\t')
		file++;
	if (parse_offset(off_s, &off)) {
		strbuf_addf(p->err, "%s:%d: offset '%s' is not hex (expected a line like '0x1000 bootloader/bootloader.bin')",
			    p->path, p->line, off_s);
		return -EINVAL;
	}
	if (!*file) {
		strbuf_addf(p->err, "%s:%d: no file after offset %s", p->path, p->line, off_s);
		return -EINVAL;
	}
	path = path_join(p->dir, file);
	r = firmware_add(p->fw, off, path, &sub);
	if (r)
		strbuf_addf(p->err, "%s:%d: %s", p->path, p->line, sub.buf);
	strbuf_release(&sub);
	free(path);
	return r;
}

/* One line of flash_args: options, an image, or nothing. */
static int fa_line(struct fa_parse *p, char *text)
{
	struct strvec tok = STRVEC_INIT;
	int r = 0;

	strvec_split(&tok, text, " \t");
	if (!tok.n || tok.v[0][0] == '#') {
		strvec_release(&tok);
		return 0;
	}
	if (tok.v[0][0] == '-') {
		for (size_t i = 0; !r && i < tok.n; i++)
			r = fa_option(p, &tok, &i);
	} else {
		r = fa_image(p, text + strspn(text, " \t"), tok.v[0]);
	}
	strvec_release(&tok);
	return r;
}

int firmware_load_flash_args(struct firmware *fw, const char *path, struct strbuf *err)
{
	struct strbuf sb = STRBUF_INIT;
	struct fa_parse p = { fw, path, NULL, 0, err };
	char *line, *next;
	size_t before = fw->n;
	int r = read_file(path, &sb);

	if (r) {
		strbuf_addf(err, "cannot read flash_args file '%s': %s", path, strerror(-r));
		strbuf_release(&sb);
		return r;
	}
	p.dir = path_dirname(path);
	for (line = sb.buf; !r && line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		line[strcspn(line, "\r")] = '\0';
		p.line++;
		r = fa_line(&p, line);
	}
	if (!r && fw->n == before) {
		strbuf_addf(err, "%s: no images (expected lines like '0x10000 app.bin')", path);
		r = -EINVAL;
	}
	free(p.dir);
	strbuf_release(&sb);
	return r;
}

/* "file:line: " of a config origin, if it has one. */
static void origin_prefix(struct strbuf *sb, const struct config_origin *o)
{
	if (o->file)
		strbuf_addf(sb, "%s:%d: ", o->file, o->line);
}

int firmware_from_config(struct firmware *fw, const struct config *cfg, struct strbuf *err)
{
	struct strbuf sub = STRBUF_INIT;
	int r = 0;

	if (cfg->flash_args) {
		r = firmware_load_flash_args(fw, cfg->flash_args, &sub);
		if (r) {
			origin_prefix(err, &cfg->flash_args_origin);
			strbuf_addf(err, "[firmware] flash_args: %s", sub.buf);
		}
	} else if (!cfg->n_images) {
		strbuf_addstr(err, "no firmware given: set [firmware] images (0x10000 = app.bin) or flash_args, or use --firmware, --image or --flash-args");
		r = -ENOENT;
	}
	for (size_t i = 0; !r && !cfg->flash_args && i < cfg->n_images; i++) {
		const struct fw_image *img = &cfg->images[i];

		strbuf_reset(&sub);
		r = firmware_add(fw, img->offset, img->path, &sub);
		if (r) {
			origin_prefix(err, &img->origin);
			strbuf_addf(err, "[firmware] 0x%x: %s", img->offset, sub.buf);
		}
	}
	strbuf_release(&sub);
	return r;
}

/* Re-read every image: size and SHA-256, and the overlap check again. */
static int finalize_images(struct firmware *fw, struct strbuf *err)
{
	fw->total_size = 0;
	for (size_t i = 0; i < fw->n; i++) {
		struct firmware_image *img = &fw->images[i];
		int r = sha256_file(img->path, img->sha256, &img->size);

		if (r) {
			strbuf_addf(err, "cannot read image file '%s': %s", img->path, strerror(-r));
			return r;
		}
		if (!img->size) {
			strbuf_addf(err, "image file '%s' is empty", img->path);
			return -EINVAL;
		}
		if (i && overlap_check(&fw->images[i - 1], img->offset, img->size, img->path, err))
			return -EINVAL;
		fw->total_size += img->size;
	}
	return 0;
}

int firmware_finalize(struct firmware *fw, struct strbuf *err)
{
	struct strbuf ids = STRBUF_INIT;
	int r;

	if (!fw->n) {
		strbuf_addstr(err, "no firmware images");
		return -ENOENT;
	}
	r = finalize_images(fw, err);
	if (r)
		return r;
	free(fw->sizes);
	fw->sizes = xcalloc(fw->n, sizeof *fw->sizes);
	for (size_t i = 0; i < fw->n; i++)
		fw->sizes[i] = fw->images[i].size;
	if (fw->n == 1) {
		memcpy(fw->sha256, fw->images[0].sha256, sizeof fw->sha256);
		return 0;
	}
	for (size_t i = 0; i < fw->n; i++)
		strbuf_addf(&ids, "0x%x %s\n", fw->images[i].offset, fw->images[i].sha256);
	sha256_hex(ids.buf, ids.len, fw->sha256);
	strbuf_release(&ids);
	return 0;
}

void firmware_warnings(const struct firmware *fw, struct strbuf *out)
{
	for (size_t i = 0; i < fw->n; i++)
		if (fw->images[i].offset % 0x1000)
			strbuf_addf(out, "image '%s' at 0x%x is not on a 4 KiB flash sector boundary "
					 "(esptool erases the whole sector around it)\n",
				    fw->images[i].path, fw->images[i].offset);
}

void firmware_json(const struct firmware *fw, struct strbuf *out)
{
	struct jw jw;
	char off[16];

	jw_init(&jw, out);
	jw_array_begin(&jw, NULL);
	for (size_t i = 0; i < fw->n; i++) {
		snprintf(off, sizeof off, "0x%x", fw->images[i].offset);
		jw_object_begin(&jw, NULL);
		jw_str(&jw, "path", fw->images[i].path);
		jw_str(&jw, "offset", off);
		jw_int(&jw, "size", (long long)fw->images[i].size);
		jw_str(&jw, "sha256", fw->images[i].sha256);
		jw_object_end(&jw);
	}
	jw_array_end(&jw);
}

void firmware_summary(const struct firmware *fw, struct strbuf *out)
{
	for (size_t i = 0; i < fw->n; i++) {
		const char *name = path_basename(fw->images[i].path);

		if (i)
			strbuf_addch(out, ' ');
		text_sanitize(out, name, strlen(name), false);
		strbuf_addf(out, "@0x%x", fw->images[i].offset);
	}
}
