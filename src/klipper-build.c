/* klipper-build.c - after a Klipper build: artifact, klipper.dict, tree id, build cache. */
#include "autoconf.h"

#include "klipper.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "files.h"
#include "path.h"
#include "sha256.h"
#include "str.h"
#include "xalloc.h"


/* Find "key" : "value" in JSON text (first occurrence) and copy the value. */
static bool json_find_string(const char *text, const char *key, char *out, size_t size)
{
	char *needle = xasprintf("\"%s\"", key);
	const char *p = text;
	bool found = false;

	while (!found && (p = strstr(p, needle))) {
		size_t n = 0;

		p += strlen(needle);
		while (isspace((unsigned char)*p))
			p++;
		if (*p != ':')
			continue;
		for (p++; isspace((unsigned char)*p); p++)
			;
		if (*p != '"')
			continue;
		for (p++; *p && *p != '"'; p++) {
			if (*p == '\\' && p[1])
				p++;
			if (n + 1 < size) /* untrusted: no control characters */
				out[n++] = (unsigned char)*p < ' ' ? '?' : *p;
		}
		out[n] = '\0';
		found = *p == '"';
	}
	free(needle);
	return found;
}

int klipper_dict_read(const char *path, char *mcu, size_t mcu_size, char *version,
		      size_t version_size)
{
	struct strbuf text = STRBUF_INIT;
	int r = read_file(path, &text);

	if (!r && mcu && !json_find_string(text.buf, "MCU", mcu, mcu_size))
		r = -EINVAL;
	if (!r && version && !json_find_string(text.buf, "version", version, version_size))
		version[0] = '\0';
	strbuf_release(&text);
	return r;
}

/* Try one artifact name in out; true if it exists as a regular file. */
static bool artifact_at(const struct klipper_paths *kp, const char *name,
			struct klipper_artifact *a)
{
	struct stat st;

	snprintf(a->path, sizeof a->path, "%s%s", kp->out, name);
	if (stat(a->path, &st) < 0 || !S_ISREG(st.st_mode))
		return false;
	snprintf(a->name, sizeof a->name, "%s", name);
	return true;
}

/* The dict check: klipper.dict must exist and name the board's MCU. */
static enum outcome dict_check(const struct klipper_paths *kp, const char *board_mcu,
			       struct klipper_artifact *a, struct strbuf *err)
{
	char *dict = xasprintf("%sklipper.dict", kp->out);
	int r = klipper_dict_read(dict, a->dict_mcu, sizeof a->dict_mcu, a->version,
				  sizeof a->version);
	enum outcome o = OUTCOME_OK;

	if (r) {
		strbuf_addf(err, "board '%s': the build left no usable '%s' (%s)", kp->key, dict,
			    r == -EINVAL ? "no \"MCU\" in it" : strerror(-r));
		o = OUTCOME_BUILD_FAILED;
	} else if (!klipper_mcu_matches(board_mcu, a->dict_mcu)) {
		strbuf_addf(err, "board '%s': the firmware built in '%s' is for %s (klipper.dict) but "
			    "the board is %s; fix the configuration with: flashbay board menuconfig %s",
			    kp->key, kp->out, a->dict_mcu, board_mcu, kp->key);
		o = OUTCOME_MCU_MISMATCH;
	}
	free(dict);
	return o;
}

enum outcome klipper_artifact_check(const struct klipper_paths *kp, const char *board_mcu,
				    const struct klipper_kconfig *kc, struct klipper_artifact *a,
				    struct strbuf *err)
{
	int r;

	memset(a, 0, sizeof *a);
	if (!(kc && kc->artifact[0] && artifact_at(kp, kc->artifact, a)) &&
	    !artifact_at(kp, "klipper.bin", a) && !artifact_at(kp, "klipper.uf2", a)) {
		strbuf_addf(err, "board '%s': the build produced no %s in '%s'", kp->key,
			    kc && kc->artifact[0] ? kc->artifact : "klipper.bin", kp->out);
		return OUTCOME_BUILD_FAILED;
	}
	r = sha256_file(a->path, a->sha256, &a->size);
	if (r || !a->size) {
		strbuf_addf(err, "board '%s': cannot use '%s': %s", kp->key, a->path,
			    r ? strerror(-r) : "the file is empty");
		return OUTCOME_BUILD_FAILED;
	}
	return dict_check(kp, board_mcu, a, err);
}

/* ------------------------------------------------------------ tree id */

/* The git folder of a tree: tree/.git, or where a ".git" file points. */
static char *git_dir(const char *tree)
{
	char *dotgit = xasprintf("%s/.git", tree), *line, *dir;
	struct stat st;

	if (stat(dotgit, &st) < 0)
		goto none;
	if (S_ISDIR(st.st_mode))
		return dotgit;
	line = read_line_file(dotgit);
	if (!line || !str_starts_with(line, "gitdir: ")) {
		free(line);
		goto none;
	}
	dir = path_join(tree, line + 8);
	free(line);
	free(dotgit);
	return dir;
none:
	free(dotgit);
	return NULL;
}

/* true if s is 40 hex digits (a SHA-1 object name). */
static bool is_sha(const char *s)
{
	size_t n = 0;

	for (; isxdigit((unsigned char)s[n]); n++)
		;
	return n == 40 && (!s[n] || isspace((unsigned char)s[n]));
}

/* Resolve ref (e.g. "refs/heads/master") in a git folder: loose, then packed. */
static int resolve_ref(const char *gdir, const char *ref, char *out, size_t size)
{
	char *path = xasprintf("%s/%s", gdir, ref), *line = read_line_file(path);
	struct strbuf packed = STRBUF_INIT;
	int r = -ENOENT;

	free(path);
	if (line && is_sha(line)) {
		snprintf(out, size, "%.40s", line);
		r = 0;
	}
	free(line);
	path = xasprintf("%s/packed-refs", gdir);
	if (r && !read_file(path, &packed)) {
		for (char *l = packed.buf, *next; r && l && *l; l = next) {
			next = strchr(l, '\n');
			if (next)
				*next++ = '\0';
			if (is_sha(l) && l[40] == ' ' && !strcmp(l + 41, ref)) {
				snprintf(out, size, "%.40s", l);
				r = 0;
			}
		}
	}
	free(path);
	strbuf_release(&packed);
	return r;
}

int klipper_tree_head(const char *tree, char *out, size_t size)
{
	char *gdir = git_dir(tree), *head = NULL, *common = NULL, *cfile;
	int r = -ENOENT;

	if (!gdir)
		return -ENOENT;
	cfile = xasprintf("%s/HEAD", gdir);
	head = read_line_file(cfile);
	free(cfile);
	cfile = xasprintf("%s/commondir", gdir);
	common = read_line_file(cfile);
	free(cfile);
	if (head && is_sha(head)) {
		snprintf(out, size, "%.40s", head);
		r = 0;
	} else if (head && str_starts_with(head, "ref: ")) {
		r = resolve_ref(gdir, head + 5, out, size);
		if (r && common) {
			char *cdir = path_join(gdir, common);

			r = resolve_ref(cdir, head + 5, out, size);
			free(cdir);
		}
	}
	free(head);
	free(common);
	free(gdir);
	return r;
}

int klipper_describe_parse(const char *line, char *out, size_t size)
{
	size_t n = strlen(line);

	while (n && isspace((unsigned char)line[n - 1]))
		n--;
	if (!n || n >= size)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)line[i]) && !strchr("._-+/", line[i]))
			return -EINVAL;
	memcpy(out, line, n);
	out[n] = '\0';
	return 0;
}

/* ------------------------------------------------------------ build cache */

/* Why the cache cannot be used, or NULL when it can. */
static const char *cache_miss_reason(const struct klipper_paths *kp, const char *tree_id,
				     const struct klipper_build_record *c, struct klipper_artifact *a)
{
	char cfg_sha[65];
	uint64_t size;

	if (sha256_file(kp->config, cfg_sha, &size))
		return "the configuration cannot be read";
	if (strcmp(cfg_sha, c->config_sha256))
		return "the configuration changed";
	if (strcmp(tree_id, c->tree))
		return "the Klipper tree changed";
	if (!artifact_at(kp, c->artifact, a) || sha256_file(a->path, a->sha256, &a->size) ||
	    a->size != c->artifact_size || strcmp(a->sha256, c->artifact_sha256))
		return "the firmware file of the last build is gone or changed";
	return NULL;
}

enum klipper_cache_state klipper_cache_lookup(const struct klipper_paths *kp, const char *tree_id,
					      struct klipper_artifact *a, struct strbuf *why)
{
	struct klipper_build_record c;
	const char *reason;

	memset(a, 0, sizeof *a);
	if (!tree_id || !*tree_id) {
		strbuf_addstr(why, "the Klipper tree's version is unknown");
		return KLIPPER_CACHE_MISS;
	}
	if (str_ends_with(tree_id, "-dirty")) {
		strbuf_addstr(why, "the Klipper tree has uncommitted changes");
		return KLIPPER_CACHE_MISS;
	}
	if (klipper_last_build(kp, &c)) {
		strbuf_addstr(why, "no earlier build of this board");
		return KLIPPER_CACHE_MISS;
	}
	reason = cache_miss_reason(kp, tree_id, &c, a);
	if (reason) {
		strbuf_addstr(why, reason);
		return KLIPPER_CACHE_MISS;
	}
	snprintf(a->dict_mcu, sizeof a->dict_mcu, "%s", c.mcu);
	snprintf(a->version, sizeof a->version, "%s", c.version);
	return KLIPPER_CACHE_HIT;
}

bool klipper_cache_config_changed(const struct klipper_paths *kp)
{
	struct klipper_build_record c;
	char sha[65];
	uint64_t size;

	if (klipper_last_build(kp, &c) || sha256_file(kp->config, sha, &size))
		return true;
	return strcmp(sha, c.config_sha256) != 0;
}

int klipper_cache_store(const struct klipper_paths *kp, const char *tree_id,
			const struct klipper_artifact *a, struct strbuf *err)
{
	char cfg_sha[65], *path;
	uint64_t size;
	struct strbuf text = STRBUF_INIT;
	int r;

	r = sha256_file(kp->config, cfg_sha, &size);
	if (r) {
		strbuf_addf(err, "cannot read '%s': %s", kp->config, strerror(-r));
		return r;
	}
	strbuf_addf(&text, "# flashbay build cache: the last successful build in this folder\n"
		    "config_sha256=%s\ntree=%s\nartifact=%s\nartifact_sha256=%s\n"
		    "artifact_size=%" PRIu64 "\nmcu=%s\nversion=%s\n",
		    cfg_sha, tree_id ? tree_id : "", a->name, a->sha256, a->size, a->dict_mcu,
		    a->version);
	path = xasprintf("%s%s", kp->out, KLIPPER_BUILD_RECORD);
	r = write_file_atomic(path, text.buf, text.len, 0644);
	if (r)
		strbuf_addf(err, "cannot write '%s': %s", path, strerror(-r));
	free(path);
	strbuf_release(&text);
	return r;
}
