/* moonraker.c - Moonraker's print state: the hidden HTTP command and its parser. */
#include "autoconf.h"

#include "moonraker.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef HAVE_CURL
#include <curl/curl.h>
#include <dlfcn.h>
#endif

#include "array.h"
#include "parse.h"
#include "str.h"
#include "xalloc.h"

#define BODY_MAX (1024 * 1024)

bool moonraker_available(void)
{
#ifdef HAVE_CURL
	return true;
#else
	return false;
#endif
}

void moonraker_spec(const char *url, uint64_t timeout_ms, const char *exe, struct job_spec *spec)
{
	strvec_push(&spec->argv, exe ? exe : "/proc/self/exe");
	strvec_push(&spec->argv, "_moonraker-state");
	strvec_push(&spec->argv, url);
	strvec_push(&spec->argv, "--timeout");
	strvec_pushf(&spec->argv, "%llu", (unsigned long long)timeout_ms);
	spec->timeout_ms = timeout_ms + 2000;
}

bool moonraker_state_busy(const char *state)
{
	return !strcmp(state, "printing") || !strcmp(state, "paused");
}

/* Copy printable ASCII of s into out (anything else becomes '?'). */
static void copy_printable(char *out, size_t size, const char *s)
{
	size_t n = 0;

	for (; *s && n + 1 < size; s++)
		out[n++] = (*s >= ' ' && *s < 0x7f) ? *s : '?';
	out[n] = '\0';
}

void moonraker_parse_line(struct moonraker_result *r, const char *line)
{
	static const struct {
		const char *word;
		enum moonraker_verdict v;
	} kinds[] = {
		{ "unreachable ", MOONRAKER_UNREACHABLE },
		{ "error ", MOONRAKER_BAD_REPLY },
		{ "unavailable ", MOONRAKER_UNAVAILABLE },
	};

	if (r->verdict != MOONRAKER_UNKNOWN)
		return; /* the first answer line counts */
	if (str_starts_with(line, "state ")) {
		copy_printable(r->state, sizeof r->state, line + 6);
		r->verdict = moonraker_state_busy(r->state) ? MOONRAKER_BUSY : MOONRAKER_IDLE;
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		if (str_starts_with(line, kinds[i].word)) {
			copy_printable(r->message, sizeof r->message, line + strlen(kinds[i].word));
			r->verdict = kinds[i].v;
			return;
		}
	}
}

enum moonraker_verdict moonraker_finish(struct moonraker_result *r, const struct job_status *st)
{
	if (r->verdict != MOONRAKER_UNKNOWN)
		return r->verdict;
	r->verdict = MOONRAKER_UNREACHABLE;
	if (st->timed_out)
		snprintf(r->message, sizeof r->message, "no answer from Moonraker in time");
	else
		snprintf(r->message, sizeof r->message, "the Moonraker check ended without an answer (exit %d)",
			 st->code);
	return r->verdict;
}

/* ------------------------------------------------------------ a small JSON walker */

struct jp {
	const char *s;
	int depth;
};

/* Skip white space. */
static void jp_ws(struct jp *j)
{
	while (isspace((unsigned char)*j->s))
		j->s++;
}

/* A JSON string at j->s; its text (escapes decoded, non-ASCII as '?') into out (may be NULL). */
static bool jp_string(struct jp *j, struct strbuf *out)
{
	if (*j->s != '"')
		return false;
	for (j->s++; *j->s && *j->s != '"'; j->s++) {
		char c = *j->s;

		if (c == '\\') {
			j->s++;
			if (!*j->s)
				return false;
			c = *j->s == 'n' ? '\n' : *j->s == 't' ? '\t' : *j->s;
			if (*j->s == 'u') {
				for (int i = 0; i < 4; i++)
					if (!isxdigit((unsigned char)*++j->s))
						return false;
				c = '?';
			}
		}
		if (out)
			strbuf_addch(out, c);
	}
	if (*j->s != '"')
		return false;
	j->s++;
	return true;
}

static bool jp_skip(struct jp *j);

/* Skip an object or array body (after its opening bracket). */
static bool jp_skip_container(struct jp *j, char close)
{
	jp_ws(j);
	if (*j->s == close) {
		j->s++;
		return true;
	}
	for (;;) {
		jp_ws(j);
		if (close == '}') {
			if (!jp_string(j, NULL))
				return false;
			jp_ws(j);
			if (*j->s++ != ':')
				return false;
		}
		if (!jp_skip(j))
			return false;
		jp_ws(j);
		if (*j->s == ',') {
			j->s++;
			continue;
		}
		if (*j->s != close)
			return false;
		j->s++;
		return true;
	}
}

/* Skip any value. */
static bool jp_skip(struct jp *j)
{
	bool ok;

	jp_ws(j);
	if (*j->s == '"')
		return jp_string(j, NULL);
	if (*j->s == '{' || *j->s == '[') {
		char close = *j->s == '{' ? '}' : ']';

		if (++j->depth > 64)
			return false;
		j->s++;
		ok = jp_skip_container(j, close);
		j->depth--;
		return ok;
	}
	if (!*j->s || strchr(",:}]", *j->s))
		return false;
	while (*j->s && !strchr(",}] \t\r\n", *j->s))
		j->s++; /* number, true, false, null */
	return true;
}

/* In the object at j->s, find the value of key (j->s is left on it). */
static bool jp_member(struct jp *j, const char *key)
{
	struct strbuf k = STRBUF_INIT;
	bool found = false;

	jp_ws(j);
	if (*j->s++ != '{')
		return false;
	for (;;) {
		jp_ws(j);
		strbuf_reset(&k);
		if (!jp_string(j, &k))
			break;
		jp_ws(j);
		if (*j->s++ != ':')
			break;
		jp_ws(j);
		if (!strcmp(k.buf, key)) {
			found = true;
			break;
		}
		if (!jp_skip(j))
			break;
		jp_ws(j);
		if (*j->s != ',')
			break;
		j->s++;
	}
	strbuf_release(&k);
	return found;
}

/* Follow a path of keys from the top; the string there into out. */
static bool jp_path_string(const char *body, const char *const *path, struct strbuf *out)
{
	struct jp j = { body, 0 };

	for (; *path; path++)
		if (!jp_member(&j, *path))
			return false;
	jp_ws(&j);
	return jp_string(&j, out);
}

int moonraker_state_from_json(const char *body, char *state, size_t size, struct strbuf *err)
{
	static const char *const state_path[] = { "result", "status", "print_stats", "state", NULL };
	static const char *const error_path[] = { "error", "message", NULL };
	struct strbuf v = STRBUF_INIT;
	int r = 0;

	if (jp_path_string(body, state_path, &v) && v.len) {
		copy_printable(state, size, v.buf);
	} else {
		strbuf_reset(&v);
		if (jp_path_string(body, error_path, &v) && v.len)
			strbuf_addstr(err, v.buf);
		else
			strbuf_addstr(err, "no result.status.print_stats.state in Moonraker's reply");
		r = -EINVAL;
	}
	strbuf_release(&v);
	return r;
}

/* ------------------------------------------------------------ the hidden command */

/* Print the one answer line (printable ASCII) and return the exit code. */
static int answer(const char *word, const char *text, int code)
{
	char clean[300];

	copy_printable(clean, sizeof clean, text);
	printf("%s %s\n", word, clean);
	fflush(stdout);
	return code;
}

#ifdef HAVE_CURL
/* libcurl is loaded only here, in the short-lived check process: linking it
 * into flashbay would map its thirty-odd libraries into every run (several
 * MiB of RSS and milliseconds of start-up) for a check that rarely runs. */
struct curl_api {
	void *lib;
	CURLcode (*global_init)(long flags);
	void (*global_cleanup)(void);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *c, CURLoption opt, ...);
	CURLcode (*easy_perform)(CURL *c);
	CURLcode (*easy_getinfo)(CURL *c, CURLINFO info, ...);
	void (*easy_cleanup)(CURL *c);
	const char *(*easy_strerror)(CURLcode rc);
};

/* Load libcurl (either Debian flavour); false with err if it is not there. */
static bool curl_load(struct curl_api *api, struct strbuf *err)
{
	static const char *const names[] = { "libcurl.so.4", "libcurl-gnutls.so.4",
					     "libcurl-nss.so.4" };
	static const char *const syms[] = { "curl_global_init", "curl_global_cleanup",
					    "curl_easy_init", "curl_easy_setopt",
					    "curl_easy_perform", "curl_easy_getinfo",
					    "curl_easy_cleanup", "curl_easy_strerror" };
	/* the function pointers follow global_init in the order of syms[] */
	void **slot = (void **)&api->global_init;

	for (size_t i = 0; i < ARRAY_SIZE(names) && !api->lib; i++)
		api->lib = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
	if (!api->lib) {
		strbuf_addf(err, "libcurl is not installed (Debian package libcurl4): %s", dlerror());
		return false;
	}
	for (size_t i = 0; i < ARRAY_SIZE(syms); i++) {
		/* POSIX: dlsym's void * converts to a function pointer */
		*(slot + i) = dlsym(api->lib, syms[i]);
		if (!*(slot + i)) {
			strbuf_addf(err, "libcurl lacks %s", syms[i]);
			return false;
		}
	}
	return true;
}

/* libcurl write callback: collect the body (at most BODY_MAX). */
static size_t on_body(char *data, size_t size, size_t n, void *user)
{
	struct strbuf *body = user;

	if (body->len + size * n > BODY_MAX)
		return 0;
	strbuf_add(body, data, size * n);
	return size * n;
}

/* Set up the request: short timeouts, http(s) only, no proxy, no redirects. */
static void request_setup(const struct curl_api *api, CURL *c, const char *url, long timeout_ms,
			  struct strbuf *body, char *errbuf)
{
	/* named like the function, so curl's type-checking macro still checks
	 * every option's value and then calls through the loaded pointer */
	CURLcode (*curl_easy_setopt)(CURL *, CURLoption, ...) = api->easy_setopt;

	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_PROXY, ""); /* Moonraker is on the printer's own network */
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "flashbay/" PACKAGE_VERSION);
}

/* GET the print state and print the answer line. */
static int query(const char *url, long timeout_ms)
{
	struct strbuf body = STRBUF_INIT, msg = STRBUF_INIT;
	char errbuf[CURL_ERROR_SIZE] = "", state[32];
	struct curl_api api = { 0 };
	CURL *c;
	CURLcode rc;
	long status = 0;
	int ret;

	if (!curl_load(&api, &msg)) {
		ret = answer("unavailable", msg.buf, 3);
		strbuf_release(&msg);
		return ret;
	}
	if (api.global_init(CURL_GLOBAL_DEFAULT) || !(c = api.easy_init()))
		return answer("error", "cannot initialise libcurl", 1);
	request_setup(&api, c, url, timeout_ms, &body, errbuf);
	rc = api.easy_perform(c);
	api.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	api.easy_cleanup(c);
	api.global_cleanup();
	if (rc != CURLE_OK) {
		strbuf_addf(&msg, "cannot reach Moonraker at %s: %s", url,
			    errbuf[0] ? errbuf : api.easy_strerror(rc));
		ret = answer("unreachable", msg.buf, 1);
	} else if (moonraker_state_from_json(body.buf, state, sizeof state, &msg) == 0 && status == 200) {
		ret = answer("state", state, 0);
	} else {
		struct strbuf m = STRBUF_INIT;

		strbuf_addf(&m, "Moonraker at %s answered HTTP %ld: %s", url, status, msg.buf);
		ret = answer("error", m.buf, 1);
		strbuf_release(&m);
	}
	strbuf_release(&body);
	strbuf_release(&msg);
	return ret;
}
#endif

int moonraker_state_main(int argc, char **argv)
{
	long timeout_ms = 3000;
	char *url;
	size_t n;
	int ret;

	if (argc < 2 || (argc != 2 && argc != 4) ||
	    (argc == 4 && (strcmp(argv[2], "--timeout") ||
			   parse_long(argv[3], 1, 600000, &timeout_ms)))) {
		fprintf(stderr, "usage: flashbay _moonraker-state URL [--timeout MS]\n");
		return 2;
	}
	if (!str_starts_with(argv[1], "http://") && !str_starts_with(argv[1], "https://"))
		return answer("error", "the Moonraker URL must start with http:// or https://", 1);
	n = strlen(argv[1]);
	while (n && argv[1][n - 1] == '/')
		n--;
	url = xasprintf("%.*s/printer/objects/query?print_stats", (int)n, argv[1]);
#ifdef HAVE_CURL
	ret = query(url, timeout_ms);
#else
	ret = answer("unavailable", "this flashbay was built without libcurl (--without-curl): "
				    "the Moonraker print-state check is not available", 3);
#endif
	free(url);
	return ret;
}
