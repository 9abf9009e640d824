/* test-app-klipper.c - how the Klipper plan recognises a board's device
 * again after a reboot: the serial from the by-id name (else the USB
 * serial), and Klipper mode vs the Katapult bootloader. */
#include "autoconf.h"

#include <string.h>

#include "../tap.h"
#include "app-klipper.h"

/* A present device with this by-id basename, kind and USB serial. */
static struct device dev(const char *by_id, enum dev_kind kind, const char *serial)
{
	static char path[3][256];
	static int n;
	struct device d;
	char *p = path[n++ % 3];

	memset(&d, 0, sizeof d);
	snprintf(p, 256, "/dev/serial/by-id/%s", by_id ? by_id : "");
	d.by_id = by_id ? p : NULL;
	d.kind = kind;
	d.serial = (char *)serial;
	d.present = true;
	d.devnode = (char *)"/dev/ttyACM0";
	return d;
}

int main(void)
{
	char s[128];
	struct device d;

	d = dev("usb-Klipper_stm32h723xx_29001A001151313531383332-if00", KIND_KLIPPER, "X");
	ok(klipper_device_serial(&d, s, sizeof s), "Klipper by-id: a serial");
	is_str(s, "29001A001151313531383332", "the serial comes from the by-id name");
	ok(klipper_device_running(&d), "usb-Klipper_...: Klipper mode");
	d = dev("usb-katapult_stm32h723xx_29001A001151313531383332-if00", KIND_KATAPULT, NULL);
	ok(klipper_device_serial(&d, s, sizeof s), "Katapult by-id: a serial");
	is_str(s, "29001A001151313531383332", "the same serial in the bootloader");
	ok(!klipper_device_running(&d), "usb-katapult_...: the bootloader");
	d = dev("usb-Katapult_stm32h723xx_29001A001151313531383332-if00", KIND_UNKNOWN, NULL);
	ok(!klipper_device_running(&d), "Katapult by name, whatever the case and the vid:pid");
	d = dev("usb-Kalico_stm32h723xx_29001A001151313531383332-if00", KIND_UNKNOWN, NULL);
	ok(klipper_device_running(&d), "a Kalico manufacturer string is Klipper mode");
	d = dev("usb-Kalico_stm32h723xx_29001A001151313531383332-if00", KIND_KATAPULT, NULL);
	ok(!klipper_device_running(&d), "the Katapult vid:pid is the bootloader whatever the name");
	d = dev(NULL, KIND_KLIPPER, "E6625C05E7324B2A");
	ok(klipper_device_serial(&d, s, sizeof s), "no by-id name: the USB serial");
	is_str(s, "E6625C05E7324B2A", "... is used");
	d = dev(NULL, KIND_KLIPPER, NULL);
	ok(!klipper_device_serial(&d, s, sizeof s), "neither: no serial, never matched");
	d = dev("usb-Klipper_stm32h723xx_29001A001151313531383332-if00", KIND_KLIPPER, NULL);
	d.present = false;
	ok(!klipper_device_running(&d), "a device gone (within its window) is not running");
	return done_testing();
}
