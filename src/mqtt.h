/* mqtt.h - one MQTT client connection (libmosquitto) run by the one loop.
 *
 * No thread: the client's socket is in the loop's poll set (POLLOUT only
 * while libmosquitto has something to write), mosquitto_loop_read/write are
 * called when it is ready, and mosquitto_loop_misc (keepalive pings) on a
 * timer armed only while connected, four times per keepalive. Connecting
 * uses mosquitto_connect_async: the loop never waits for the broker (only a
 * broker given by name is looked up with getaddrinfo, which may block
 * briefly; an address does not). A lost, refused or failed connection is
 * reported once per change of reason and retried on a timer, 1 s doubling
 * to 30 s.
 */
#ifndef FLASHBAY_MQTT_H
#define FLASHBAY_MQTT_H

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"

struct loop;
struct config;
struct mqtt;

enum mqtt_state {
	MQTT_CONNECTING, /* connecting, or waiting to try again after a first failure */
	MQTT_UP,         /* the broker accepted the session (CONNACK) */
	MQTT_DOWN,       /* lost or refused: waiting to try again (mqtt_why() says why) */
};

struct mqtt_opts {
	const char *url;        /* mqtt://host[:port], mqtts://host[:port] */
	const char *client_id;
	bool clean_session;     /* false: the broker keeps subscriptions and queued messages */
	const char *username;   /* NULL: none */
	const char *password_file; /* its first line is the password; NULL: none */
	const char *ca_file, *cert_file, *key_file; /* TLS (mqtts://; no ca_file: the system's) */
	unsigned keepalive_s;
	const char *will_topic; /* the last will (retained, QoS 1), NULL: none */
	const char *will_payload;
};

struct mqtt_handlers {
	/* The session is up: subscribe, publish status... (may be NULL). */
	void (*up)(void *data);
	/* It went down, or could not come up; why is one line (may be NULL). */
	void (*down)(void *data, const char *why);
	/* Message mid was delivered: PUBACK for QoS 1, sent for QoS 0. */
	void (*published)(void *data, int mid);
	/* A message arrived on a subscription (payload not NUL-terminated). */
	void (*message)(void *data, const char *topic, const void *payload, size_t len,
			bool retained);
	/* The broker acknowledged subscription mid. */
	void (*subscribed)(void *data, int mid);
};

/* A client for o on loop; it starts connecting at once. NULL with one line
 * in err for what cannot work (bad URL, unreadable file, TLS setup). */
struct mqtt *mqtt_new(struct loop *loop, const struct mqtt_opts *o, const struct mqtt_handlers *h,
		      void *data, struct strbuf *err);
/* Disconnect cleanly if up (no last will), free. NULL is fine. */
void mqtt_free(struct mqtt *m);
/* Disconnect cleanly now (the broker does not send the will); no reconnect. */
void mqtt_disconnect(struct mqtt *m);

/* Publish; *mid (may be NULL) gets the message id. QoS 1/2 messages are
 * queued while not connected (libmosquitto sends them, and those not yet
 * acknowledged again, when it is). 0, or -errno (-ENOMEM, -EINVAL,
 * -ENOTCONN for QoS 0 while not connected, -EMSGSIZE). */
int mqtt_publish(struct mqtt *m, const char *topic, const void *payload, size_t len, int qos,
		 bool retain, int *mid);
/* Subscribe (do it in up(): a clean session forgets them). */
int mqtt_subscribe(struct mqtt *m, const char *pattern, int qos, int *mid);

enum mqtt_state mqtt_state(const struct mqtt *m);
/* Why it is not up ("" when up or not tried yet). */
const char *mqtt_why(const struct mqtt *m);
/* "connected", "connecting", "down" */
const char *mqtt_state_name(enum mqtt_state s);

/* The client options of [mqtt] in cfg (strings borrowed from cfg);
 * client_id defaults to the station name. */
void mqtt_opts_from_config(struct mqtt_opts *o, const struct config *cfg);

#endif
