/* mqtt.c - an MQTT client connection driven by the loop (mqtt.h). */
#include "autoconf.h"

#include "mqtt.h"

#include <errno.h>
#include <mosquitto.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "config.h"
#include "files.h"
#include "loop.h"
#include "xalloc.h"

#define RETRY_FIRST_MS 1000
#define RETRY_MAX_MS 30000

struct mqtt {
	struct loop *loop;
	struct mosquitto *mosq;
	char *host;
	int port;
	unsigned keepalive_s;
	const struct mqtt_handlers *h;
	void *data;
	enum mqtt_state state;
	int fd;                  /* the socket watched, -1: none */
	short events;
	struct loop_timer misc;  /* keepalive, while up */
	struct loop_timer retry; /* the next connect attempt */
	uint64_t retry_ms;
	bool stopped;            /* mqtt_disconnect(): no more attempts */
	bool connected_once;     /* mosquitto_connect_async() was called */
	char why[256];
};

const char *mqtt_state_name(enum mqtt_state s)
{
	return s == MQTT_UP ? "connected" : s == MQTT_DOWN ? "down" : "connecting";
}

enum mqtt_state mqtt_state(const struct mqtt *m)
{
	return m->state;
}

const char *mqtt_why(const struct mqtt *m)
{
	return m->state == MQTT_UP ? "" : m->why;
}

/* Watch the socket libmosquitto has now, for what it wants (a loop hook:
 * before every poll, so a publish made anywhere gets its POLLOUT); none
 * while waiting to try again. */
static void sync_fd(void *data);
static void on_fd(int fd, short revents, void *data);

/* It is not up: say why (once per reason) and try again later. */
static void down(struct mqtt *m, const char *why)
{
	bool news = m->state == MQTT_UP || strcmp(m->why, why);

	loop_timer_disarm(m->loop, &m->misc);
	if (m->state == MQTT_UP)
		m->retry_ms = RETRY_FIRST_MS;
	m->state = MQTT_DOWN;
	snprintf(m->why, sizeof m->why, "%s", why);
	if (!m->stopped && !m->retry.armed) {
		loop_timer_arm(m->loop, &m->retry, m->retry_ms, 0);
		m->retry_ms = m->retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : m->retry_ms * 2;
	}
	sync_fd(m);
	if (news && m->h->down)
		m->h->down(m->data, m->why);
}

/* Why rc failed, as one line. */
static void rc_why(int rc, char *out, size_t n)
{
	if (rc == MOSQ_ERR_ERRNO)
		snprintf(out, n, "%s", strerror(errno));
	else if (rc == MOSQ_ERR_EAI)
		snprintf(out, n, "cannot find the broker's address");
	else if (rc == MOSQ_ERR_CONN_LOST)
		snprintf(out, n, "connection lost");
	else if (rc == MOSQ_ERR_TLS || rc == MOSQ_ERR_TLS_HANDSHAKE)
		snprintf(out, n, "TLS handshake failed (is ca_file the CA that signed the broker's "
				 "certificate, and is it for this host name?)");
	else
		snprintf(out, n, "%s", mosquitto_strerror(rc));
	n = strlen(out);
	if (n && out[n - 1] == '.')
		out[n - 1] = '\0';
}

/* A call into libmosquitto returned rc: a failure takes the connection down. */
static void check_rc(struct mqtt *m, int rc)
{
	char why[200];

	if (rc == MOSQ_ERR_SUCCESS || m->stopped || (m->state == MQTT_DOWN && m->retry.armed))
		return; /* fine, or the failure was told already */
	rc_why(rc, why, sizeof why);
	down(m, why);
}

static void sync_fd(void *data)
{
	struct mqtt *m = data;
	int fd = m->stopped || m->retry.armed ? -1 : mosquitto_socket(m->mosq);
	short ev = (short)(POLLIN | (fd >= 0 && mosquitto_want_write(m->mosq) ? POLLOUT : 0));

	if (fd != m->fd) {
		if (m->fd >= 0)
			loop_fd_del(m->loop, m->fd);
		m->fd = -1;
		if (fd >= 0 && loop_fd_add(m->loop, fd, ev, on_fd, m) == 0)
			m->fd = fd;
		m->events = -1;
	}
	if (m->fd >= 0 && ev != m->events && loop_fd_events(m->loop, m->fd, ev) == 0)
		m->events = ev;
}

/* The socket is ready. */
static void on_fd(int fd, short revents, void *data)
{
	struct mqtt *m = data;
	int rc = MOSQ_ERR_SUCCESS;

	(void)fd;
	if (revents & (POLLIN | POLLERR | POLLHUP))
		rc = mosquitto_loop_read(m->mosq, 1);
	if (rc == MOSQ_ERR_SUCCESS && (revents & POLLOUT) && mosquitto_socket(m->mosq) >= 0)
		rc = mosquitto_loop_write(m->mosq, 1);
	check_rc(m, rc);
	sync_fd(m);
}

/* Start (again) to connect. */
static void connect_now(struct mqtt *m, bool first)
{
	int rc;

	m->state = m->state == MQTT_DOWN ? MQTT_DOWN : MQTT_CONNECTING;
	rc = first ? mosquitto_connect_async(m->mosq, m->host, m->port, (int)m->keepalive_s)
		   : mosquitto_reconnect_async(m->mosq);
	if (rc == MOSQ_ERR_SUCCESS) /* a broker that never answers is a failure too */
		loop_timer_arm(m->loop, &m->misc, m->keepalive_s * 1000, 0);
	check_rc(m, rc);
	sync_fd(m);
}

static void on_retry(struct loop_timer *t, void *data)
{
	struct mqtt *m = data;
	bool first = !m->connected_once;

	(void)t;
	m->connected_once = true;
	connect_now(m, first);
}

static void on_misc(struct loop_timer *t, void *data)
{
	struct mqtt *m = data;
	char why[96];

	(void)t;
	if (m->state != MQTT_UP) { /* still no CONNACK */
		snprintf(why, sizeof why, "no answer from the broker within %u s", m->keepalive_s);
		down(m, why);
		return;
	}
	check_rc(m, mosquitto_loop_misc(m->mosq));
	sync_fd(m);
}

/* libmosquitto callbacks (called from inside mosquitto_loop_read & co). */
static void cb_connect(struct mosquitto *mosq, void *data, int rc)
{
	struct mqtt *m = data;

	(void)mosq;
	if (rc) {
		char why[160];

		snprintf(why, sizeof why, "the broker refused the connection: %s",
			 mosquitto_connack_string(rc));
		down(m, why);
		return;
	}
	m->state = MQTT_UP;
	m->why[0] = '\0';
	m->retry_ms = RETRY_FIRST_MS;
	loop_timer_arm(m->loop, &m->misc, m->keepalive_s * 250, m->keepalive_s * 250);
	if (m->h->up)
		m->h->up(m->data);
}

static void cb_disconnect(struct mosquitto *mosq, void *data, int rc)
{
	struct mqtt *m = data;

	(void)mosq;
	/* before the session is up, the failed call says more (check_rc) */
	if (rc && m->state == MQTT_UP)
		down(m, "connection lost");
}

static void cb_publish(struct mosquitto *mosq, void *data, int mid)
{
	struct mqtt *m = data;

	(void)mosq;
	if (m->h->published)
		m->h->published(m->data, mid);
}

static void cb_message(struct mosquitto *mosq, void *data, const struct mosquitto_message *msg)
{
	struct mqtt *m = data;

	(void)mosq;
	if (m->h->message && msg->topic && msg->payloadlen >= 0)
		m->h->message(m->data, msg->topic, msg->payload, (size_t)msg->payloadlen,
			      msg->retain);
}

static void cb_subscribe(struct mosquitto *mosq, void *data, int mid, int n, const int *granted)
{
	struct mqtt *m = data;

	(void)mosq;
	(void)n;
	(void)granted;
	if (m->h->subscribed)
		m->h->subscribed(m->data, mid);
}

/* Username and the password file's first line. */
static int set_login(struct mqtt *m, const struct mqtt_opts *o, struct strbuf *err)
{
	char *pw = NULL;
	int rc;

	if (!o->username)
		return 0;
	if (o->password_file && !(pw = read_line_file(o->password_file))) {
		strbuf_addf(err, "cannot read [mqtt] password_file '%s': %s", o->password_file,
			    strerror(errno));
		return -EINVAL;
	}
	rc = mosquitto_username_pw_set(m->mosq, o->username, pw);
	if (pw) {
		memset(pw, 0, strlen(pw));
		free(pw);
	}
	if (rc) {
		strbuf_addf(err, "MQTT login: %s", mosquitto_strerror(rc));
		return -EINVAL;
	}
	return 0;
}

/* TLS, the last will and the callbacks. */
static int setup(struct mqtt *m, const struct mqtt_opts *o, bool tls, struct strbuf *err)
{
	int rc = MOSQ_ERR_SUCCESS;

	if (tls)
		rc = mosquitto_tls_set(m->mosq, o->ca_file, o->ca_file ? NULL : "/etc/ssl/certs",
				       o->cert_file, o->key_file, NULL);
	if (rc) {
		strbuf_addf(err, "MQTT TLS setup (ca_file, cert_file, key_file): %s",
			    rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
		return -EINVAL;
	}
	if (o->will_topic)
		rc = mosquitto_will_set(m->mosq, o->will_topic, (int)strlen(o->will_payload),
					o->will_payload, 1, true);
	if (rc) {
		strbuf_addf(err, "MQTT last will: %s", mosquitto_strerror(rc));
		return -EINVAL;
	}
	mosquitto_connect_callback_set(m->mosq, cb_connect);
	mosquitto_disconnect_callback_set(m->mosq, cb_disconnect);
	mosquitto_publish_callback_set(m->mosq, cb_publish);
	mosquitto_message_callback_set(m->mosq, cb_message);
	mosquitto_subscribe_callback_set(m->mosq, cb_subscribe);
	return set_login(m, o, err);
}

struct mqtt *mqtt_new(struct loop *loop, const struct mqtt_opts *o, const struct mqtt_handlers *h,
		      void *data, struct strbuf *err)
{
	struct mqtt *m = xcalloc(1, sizeof *m);
	bool tls;

	m->loop = loop;
	m->h = h;
	m->data = data;
	m->fd = -1;
	m->keepalive_s = o->keepalive_s ? o->keepalive_s : 60;
	m->retry_ms = RETRY_FIRST_MS;
	loop_timer_init(&m->misc, on_misc, m);
	loop_timer_init(&m->retry, on_retry, m);
	mosquitto_lib_init();
	if (config_mqtt_url(o->url, &m->host, &m->port, &tls, err) ||
	    !(m->mosq = mosquitto_new(o->client_id, o->clean_session, m)) ||
	    setup(m, o, tls, err)) {
		if (!err->len)
			strbuf_addf(err, "MQTT client: %s", strerror(errno));
		mqtt_free(m);
		return NULL;
	}
	loop_hook_add(loop, sync_fd, m);
	loop_timer_arm(loop, &m->retry, 0, 0); /* from the loop: handlers see a complete owner */
	return m;
}

void mqtt_disconnect(struct mqtt *m)
{
	if (m->stopped)
		return;
	if (m->state == MQTT_UP)
		mosquitto_disconnect(m->mosq);
	m->stopped = true;
	loop_timer_disarm(m->loop, &m->misc);
	loop_timer_disarm(m->loop, &m->retry);
	sync_fd(m);
}

void mqtt_free(struct mqtt *m)
{
	if (!m)
		return;
	if (m->mosq) {
		mqtt_disconnect(m);
		loop_hook_del(m->loop, sync_fd, m);
		mosquitto_destroy(m->mosq);
	}
	mosquitto_lib_cleanup();
	free(m->host);
	free(m);
}

int mqtt_publish(struct mqtt *m, const char *topic, const void *payload, size_t len, int qos,
		 bool retain, int *mid)
{
	int rc;

	if (len > 256 * 1024 * 1024)
		return -EMSGSIZE;
	rc = mosquitto_publish(m->mosq, mid, topic, (int)len, payload, qos, retain);
	if (rc == MOSQ_ERR_NOMEM)
		return -ENOMEM;
	if (rc == MOSQ_ERR_PAYLOAD_SIZE || rc == MOSQ_ERR_OVERSIZE_PACKET)
		return -EMSGSIZE;
	if (rc == MOSQ_ERR_NO_CONN || rc == MOSQ_ERR_CONN_LOST || rc == MOSQ_ERR_ERRNO) {
		/* QoS 1/2: queued all the same, sent (again) once connected */
		check_rc(m, rc == MOSQ_ERR_NO_CONN ? MOSQ_ERR_SUCCESS : rc);
		return qos > 0 ? 0 : -ENOTCONN;
	}
	return rc ? -EINVAL : 0;
}

int mqtt_subscribe(struct mqtt *m, const char *pattern, int qos, int *mid)
{
	int rc = mosquitto_subscribe(m->mosq, mid, pattern, qos);

	if (rc == MOSQ_ERR_NO_CONN)
		return -ENOTCONN;
	if (rc && rc != MOSQ_ERR_CONN_LOST && rc != MOSQ_ERR_ERRNO)
		return -EINVAL;
	check_rc(m, rc);
	return 0;
}

void mqtt_opts_from_config(struct mqtt_opts *o, const struct config *cfg)
{
	memset(o, 0, sizeof *o);
	o->url = cfg->mqtt_broker;
	o->client_id = cfg->mqtt_client_id ? cfg->mqtt_client_id : cfg->station_name;
	o->clean_session = true;
	o->username = cfg->mqtt_username;
	o->password_file = cfg->mqtt_password_file;
	o->ca_file = cfg->mqtt_ca_file;
	o->cert_file = cfg->mqtt_cert_file;
	o->key_file = cfg->mqtt_key_file;
	o->keepalive_s = (unsigned)(cfg->mqtt_keepalive_ms / 1000);
}
