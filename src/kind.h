/* kind.h - what a USB serial device is, from its vid:pid (data, not code). */
#ifndef FLASHBAY_KIND_H
#define FLASHBAY_KIND_H

#include <stdbool.h>
#include <stdint.h>

enum dev_kind {
	KIND_UNKNOWN,
	KIND_ESP32,      /* ESP32 behind a USB-serial bridge */
	KIND_ESP32_USB,  /* ESP32 native USB-Serial/JTAG */
	KIND_KLIPPER,    /* Klipper/Kalico firmware (usb-Klipper_<mcu>_<serial>) */
	KIND_KATAPULT,   /* Katapult bootloader */
	KIND__COUNT
};

struct kind_entry {
	uint16_t vid;
	uint16_t pid;
	enum dev_kind kind;
	const char *what; /* "CP210x", "CH340", ... */
};

/* The built-in vid:pid table (terminated by an entry with kind KIND__COUNT). */
extern const struct kind_entry kind_table[];

/* "esp32", "esp32-usb", "klipper", "katapult", "unknown" */
const char *kind_name(enum dev_kind kind);
/* Inverse of kind_name(); -1 if unknown. */
int kind_from_name(const char *name);
/* Built-in lookup; *what (may be NULL) gets the bridge/chip family or NULL. */
enum dev_kind kind_lookup(uint16_t vid, uint16_t pid, const char **what);
/* Kinds flashed with esptool. */
bool kind_is_esp32(enum dev_kind kind);
bool kind_is_klipper(enum dev_kind kind);

#endif
