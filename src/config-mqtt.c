/* config-mqtt.c - [mqtt] checked as a whole: the broker URL, the topic
 * prefix, the TLS and password files, and the station name that becomes a
 * topic level. Refused before anything runs (config_load()). */
#include "autoconf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "str.h"
#include "xalloc.h"

void config_mqtt_defaults(struct config *cfg)
{
	cfg->mqtt_broker = xstrdup("mqtt://localhost:1883");
	cfg->mqtt_topic = xstrdup("flashbay");
	cfg->mqtt_qos = 1;
	cfg->mqtt_keepalive_ms = 60000;
}

int config_mqtt_url(const char *url, char **host, int *port, bool *tls, struct strbuf *err)
{
	const char *h, *end, *colon;
	unsigned long p;

	*tls = str_starts_with(url, "mqtts://");
	if (!*tls && !str_starts_with(url, "mqtt://")) {
		strbuf_addf(err, "'%s' is not an mqtt://HOST[:PORT] or mqtts://HOST[:PORT] URL", url);
		return -EINVAL;
	}
	h = url + (*tls ? 8 : 7);
	if (*h == '[') { /* [IPv6]:port */
		end = strchr(h, ']');
		colon = end && end[1] == ':' ? end + 1 : NULL;
		if (!end || (end[1] && !colon))
			end = NULL;
		else
			h++;
	} else {
		colon = strchr(h, ':');
		end = colon ? colon : h + strlen(h);
	}
	p = *tls ? 8883 : 1883;
	if (end && colon) {
		char *e;

		errno = 0;
		p = strtoul(colon + 1, &e, 10);
		if (*e || e == colon + 1 || errno || p == 0 || p > 65535)
			end = NULL;
	}
	if (!end || end == h || strcspn(h, "/?#@ ") < (size_t)(end - h)) {
		strbuf_addf(err, "'%s' is not an mqtt://HOST[:PORT] or mqtts://HOST[:PORT] URL "
				 "(host and port only)", url);
		return -EINVAL;
	}
	if (host)
		*host = xstrndup(h, (size_t)(end - h));
	*port = (int)p;
	return 0;
}

/* Is name a topic level we publish under ([A-Za-z0-9_-], 1..64)? NULL: yes,
 * else the first character that is not allowed. */
static const char *bad_level_char(const char *name)
{
	for (const char *c = name; *c; c++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-", *c))
			return c;
	return NULL;
}

/* The station name: a topic level. */
static int check_station(const struct config *cfg, struct strbuf *err)
{
	const char *name = cfg->station_name ? cfg->station_name : "";
	const char *c = bad_level_char(name);

	if (*name && !c && strlen(name) <= 64)
		return 0;
	strbuf_addf(err, "flashbay: [station] name '%s': ", name);
	if (!*name)
		strbuf_addstr(err, "empty");
	else if (!c)
		strbuf_addstr(err, "longer than 64 characters");
	else if ((unsigned char)*c < 0x20 || *c == 0x7f || (unsigned char)*c >= 0x80)
		strbuf_addf(err, "the byte 0x%02x is not allowed", (unsigned char)*c);
	else
		strbuf_addf(err, "'%c' is not allowed", *c);
	strbuf_addstr(err, ": with [mqtt] enabled the name is an MQTT topic level "
			   "(<topic>/<name>/...), so only A-Z, a-z, 0-9, _ and - may be used\n");
	return -EINVAL;
}

/* The topic prefix: levels of [A-Za-z0-9_-] separated by single '/'. */
static int check_topic(const char *topic, struct strbuf *err)
{
	bool ok = *topic && *topic != '/' && topic[strlen(topic) - 1] != '/' && !strstr(topic, "//");

	for (const char *c = topic; ok && *c; c++)
		ok = *c == '/' || !bad_level_char((char[]){ *c, 0 });
	if (ok && strlen(topic) <= 128)
		return 0;
	strbuf_addf(err, "flashbay: [mqtt] topic '%s': give levels of A-Z, a-z, 0-9, _ and - "
			 "separated by '/' (no wildcards, no empty level), e.g. flashbay or "
			 "factory/line1\n", topic);
	return -EINVAL;
}

/* A file named by key must be there and readable. */
static int check_file(const char *key, const char *path, struct strbuf *err)
{
	if (!path || access(path, R_OK) == 0)
		return 0;
	strbuf_addf(err, "flashbay: [mqtt] %s '%s': %s\n", key, path, strerror(errno));
	return -EINVAL;
}

/* The password file: readable by us, by no one else. */
static int check_password_file(const char *path, struct strbuf *err)
{
	struct stat st;

	if (!path)
		return 0;
	if (check_file("password_file", path, err))
		return -EINVAL;
	if (stat(path, &st) == 0 && (st.st_mode & (S_IRGRP | S_IROTH | S_IWGRP | S_IWOTH))) {
		strbuf_addf(err, "flashbay: [mqtt] password_file '%s': other users can read or "
				 "change it (mode %04o); refused: run chmod 600 on it\n",
			    path, (unsigned)(st.st_mode & 07777));
		return -EINVAL;
	}
	return 0;
}

/* The TLS files: only with mqtts://, a certificate with its key. */
static int check_tls(const struct config *cfg, bool tls, struct strbuf *err)
{
	int r = 0;

	if (!tls && (cfg->mqtt_ca_file || cfg->mqtt_cert_file || cfg->mqtt_key_file)) {
		strbuf_addf(err, "flashbay: [mqtt] ca_file/cert_file/key_file are set but broker "
				 "'%s' is plain mqtt://: use mqtts:// for TLS\n", cfg->mqtt_broker);
		return -EINVAL;
	}
	if (!cfg->mqtt_cert_file != !cfg->mqtt_key_file) {
		strbuf_addstr(err, "flashbay: [mqtt] cert_file and key_file go together "
				   "(a client certificate needs its key)\n");
		r = -EINVAL;
	}
	r |= check_file("ca_file", cfg->mqtt_ca_file, err);
	r |= check_file("cert_file", cfg->mqtt_cert_file, err);
	r |= check_file("key_file", cfg->mqtt_key_file, err);
	return r ? -EINVAL : 0;
}

int config_mqtt_check(const struct config *cfg, bool station, struct strbuf *err)
{
	struct strbuf why = STRBUF_INIT;
	bool tls = false;
	int port, r = 0;

	if (config_mqtt_url(cfg->mqtt_broker ? cfg->mqtt_broker : "", NULL, &port, &tls, &why)) {
		strbuf_addf(err, "flashbay: [mqtt] broker: %s\n", why.buf);
		r = -EINVAL;
	}
	strbuf_release(&why);
	r |= check_topic(cfg->mqtt_topic ? cfg->mqtt_topic : "", err);
	if (station)
		r |= check_station(cfg, err);
	if (cfg->mqtt_client_id && (!*cfg->mqtt_client_id || strlen(cfg->mqtt_client_id) > 128)) {
		strbuf_addstr(err, "flashbay: [mqtt] client_id: give 1 to 128 characters "
				   "(or leave it out: the station name)\n");
		r = -EINVAL;
	}
	if (cfg->mqtt_password_file && !cfg->mqtt_username) {
		strbuf_addstr(err, "flashbay: [mqtt] password_file needs a username\n");
		r = -EINVAL;
	}
	r |= check_password_file(cfg->mqtt_password_file, err);
	r |= check_tls(cfg, tls, err);
	return r ? -EINVAL : 0;
}
