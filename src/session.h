/* session.h - what the commands that drive the engine share: firmware
 * options, and a session (configuration, demo, loop, engine) to run them in. */
#ifndef FLASHBAY_SESSION_H
#define FLASHBAY_SESSION_H

#include <stdbool.h>

#include "config.h"
#include "devices.h"
#include "firmware.h"

struct globals;
struct loop;
struct app;
struct demo;
struct mqtt_station;

/* getopt values of the image options (any command may list them). */
enum { CLI_OPT_FIRMWARE = 1000, CLI_OPT_IMAGE, CLI_OPT_FLASH_ARGS };
#define CLI_FIRMWARE_OPTIONS                                                  \
	{ "firmware", required_argument, NULL, CLI_OPT_FIRMWARE },            \
	{ "image", required_argument, NULL, CLI_OPT_IMAGE },                  \
	{ "flash-args", required_argument, NULL, CLI_OPT_FLASH_ARGS }

/* A command's run: configuration, firmware, loop and engine. */
struct session {
	const char *cmd;
	struct globals *g;
	struct config cfg;
	struct firmware fw;     /* images from the options, moved into the app */
	struct devices_opts dopts;
	struct demo *demo;
	struct loop *loop;
	struct app *app;
	struct mqtt_station *mqtt; /* [mqtt] enabled: the publisher (mqtt-station.h) */
};

/* Load the configuration (global options applied). 0 or EXIT_USAGE (printed). */
int session_config(struct session *s, struct globals *g, const char *cmd);
/* Handle one image option (CLI_OPT_*). 0 or EXIT_USAGE (printed). */
int session_firmware_opt(struct session *s, int opt, const char *arg);
/* What a command needs of the ESP32 images. */
enum session_fw {
	SESSION_FW_NONE,     /* nothing (Klipper commands: a broken [firmware] is not theirs) */
	SESSION_FW_OPTIONAL, /* the options' or [firmware]'s if any (the dashboard) */
	SESSION_FW_REQUIRED, /* some images, or an error (flash, monitor) */
};

/* Firmware from the options, else [firmware] (or the demo's), as fw says.
 * Then the loop and the engine (history, devices). 0 or EXIT_USAGE (printed). */
int session_start(struct session *s, bool monitor, enum session_fw fw);
/* Free everything (the engine reaps what is left; the MQTT publisher first
 * gets up to SESSION_MQTT_FLUSH_MS for the broker to acknowledge what was sent). */
#define SESSION_MQTT_FLUSH_MS 2000
void session_end(struct session *s);

#endif
