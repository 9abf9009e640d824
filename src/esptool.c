/* esptool.c - finding esptool and detecting its version (its argv is built
 * by the flasher, flasher-esptool.c). */
#include "autoconf.h"

#include "esptool.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "path.h"
#include "xalloc.h"

void esptool_init(struct esptool *t)
{
	strvec_init(&t->cmd);
	t->major = 0;
	t->version[0] = '\0';
}

void esptool_release(struct esptool *t)
{
	strvec_release(&t->cmd);
	esptool_init(t);
}

int esptool_resolve(struct esptool *t, const char *configured, struct strbuf *err)
{
	struct strvec words = STRVEC_INIT;
	char *found;

	strvec_release(&t->cmd);
	if (configured)
		strvec_split(&words, configured, " \t");
	if (words.n) {
		found = path_which(words.v[0]);
		if (!found) {
			strbuf_addf(err, "esptool command '%s' not found%s ([esp32] esptool = %s)",
				    words.v[0], strchr(words.v[0], '/') ? "" : " on PATH", configured);
			strvec_release(&words);
			return -ENOENT;
		}
	} else {
		found = path_which("esptool");
		if (!found)
			found = path_which("esptool.py");
		if (!found) {
			strbuf_addstr(err, "esptool not found: neither 'esptool' nor 'esptool.py' is on PATH (install esptool, or set [esp32] esptool)");
			return -ENOENT;
		}
	}
	strvec_push(&t->cmd, found);
	for (size_t i = 1; i < words.n; i++)
		strvec_push(&t->cmd, words.v[i]);
	free(found);
	strvec_release(&words);
	return 0;
}

void esptool_push_env(struct strvec *env)
{
	strvec_push(env, "NO_COLOR=1");
	strvec_push(env, "TERM=dumb");
	strvec_push(env, "PYTHONUNBUFFERED=1");
}

void esptool_version_spec(const struct esptool *t, struct job_spec *spec)
{
	strvec_copy(&spec->argv, &t->cmd);
	strvec_push(&spec->argv, "version");
	esptool_push_env(&spec->env);
	spec->timeout_ms = 30000;
}

/* "4.12.0", "5.0.dev3": digits, then dots, digits and letters. */
static size_t version_len(const char *s)
{
	size_t n = 0;

	if (!isdigit((unsigned char)s[0]))
		return 0;
	while (isalnum((unsigned char)s[n]) || s[n] == '.')
		n++;
	return n;
}

bool esptool_parse_version(struct esptool *t, const char *line)
{
	const char *v = line;
	bool prefixed = true;
	size_t n;

	if (t->major)
		return true;
	while (*v == ' ')
		v++;
	if (!strncmp(v, "esptool.py v", 12))
		v += 12;
	else if (!strncmp(v, "esptool v", 9))
		v += 9;
	else
		prefixed = false;
	n = version_len(v);
	if (!n)
		return false;
	if (!prefixed) {
		/* a bare "4.12.0" line (what `version` prints) is the whole line */
		const char *e = v + n;

		while (isspace((unsigned char)*e))
			e++;
		if (*e || !memchr(v, '.', n))
			return false;
	}
	if (n >= sizeof t->version)
		n = sizeof t->version - 1;
	memcpy(t->version, v, n);
	t->version[n] = '\0';
	t->major = atoi(t->version);
	if (t->major <= 0) {
		t->version[0] = '\0';
		t->major = 0;
		return false;
	}
	return true;
}

const struct flasher *esptool_flasher(const struct esptool *t)
{
	return flasher_find(t->major >= 5 ? "esptool-v5" : "esptool-v4");
}
