/* kind.c - the built-in vid:pid -> kind table. */
#include "autoconf.h"

#include "kind.h"

#include <string.h>

const struct kind_entry kind_table[] = {
	{ 0x10c4, 0xea60, KIND_ESP32, "CP210x" },
	{ 0x1a86, 0x7523, KIND_ESP32, "CH340" },
	{ 0x1a86, 0x55d4, KIND_ESP32, "CH9102" },
	{ 0x1a86, 0x55d3, KIND_ESP32, "CH343" },
	{ 0x0403, 0x6001, KIND_ESP32, "FT232R" },
	{ 0x0403, 0x6010, KIND_ESP32, "FT2232" },
	{ 0x0403, 0x6014, KIND_ESP32, "FT232H" },
	{ 0x0403, 0x6015, KIND_ESP32, "FT231X" },
	{ 0x303a, 0x1001, KIND_ESP32_USB, "USB-Serial/JTAG" },
	{ 0x303a, 0x0002, KIND_ESP32_USB, "ESP32-S2 USB" },
	{ 0x303a, 0x0009, KIND_ESP32_USB, "ESP32-S3 USB" },
	{ 0x303a, 0x4001, KIND_ESP32_USB, "ESP USB bridge" },
	{ 0x1d50, 0x614e, KIND_KLIPPER, "Klipper" },
	{ 0x1d50, 0x6177, KIND_KATAPULT, "Katapult" },
	{ 0, 0, KIND__COUNT, NULL },
};

static const char *const names[KIND__COUNT] = {
	[KIND_UNKNOWN] = "unknown",	   [KIND_ESP32] = "esp32",	 [KIND_ESP32_USB] = "esp32-usb",
	[KIND_KLIPPER] = "klipper",	   [KIND_KATAPULT] = "katapult",
};

const char *kind_name(enum dev_kind kind)
{
	return kind < KIND__COUNT ? names[kind] : "unknown";
}

int kind_from_name(const char *name)
{
	for (int k = 0; k < KIND__COUNT; k++)
		if (!strcmp(names[k], name))
			return k;
	return -1;
}

enum dev_kind kind_lookup(uint16_t vid, uint16_t pid, const char **what)
{
	for (const struct kind_entry *e = kind_table; e->kind != KIND__COUNT; e++) {
		if (e->vid == vid && e->pid == pid) {
			if (what)
				*what = e->what;
			return e->kind;
		}
	}
	if (what)
		*what = NULL;
	return KIND_UNKNOWN;
}

bool kind_is_esp32(enum dev_kind kind)
{
	return kind == KIND_ESP32 || kind == KIND_ESP32_USB;
}

bool kind_is_klipper(enum dev_kind kind)
{
	return kind == KIND_KLIPPER || kind == KIND_KATAPULT;
}
