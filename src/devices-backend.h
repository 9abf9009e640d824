/* devices-backend.h - the built-in discovery backends and what they share.
 * Private to devices.c, devices-port.c, devices-udev.c and devices-scan.c.
 *
 * A built-in backend gets, as its ctx, a pointer to a void * owned by the
 * table (initially NULL) in which it keeps its state between start and stop.
 */
#ifndef FLASHBAY_DEVICES_BACKEND_H
#define FLASHBAY_DEVICES_BACKEND_H

#include <stdbool.h>

#include "devices.h"

/* libudev: enumerate, then a udev_monitor on the loop. */
extern const struct devices_backend devices_udev_backend;
/* ROOT/class/tty + DEVROOT/serial scanned, then watched with inotify. */
extern const struct devices_backend devices_scan_backend;

/* Is udev usable here: a running udevd (/run/udev/control), or umockdev's
 * preload ($UMOCKDEV_DIR and LD_PRELOAD)? */
bool devices_udev_usable(void);

/* An ID_PATH-style name of the physical port ("pci-0000:00:14.0-usb-0:1.2:1.0")
 * derived from a sysfs path relative to the devices directory
 * ("pci0000:00/0000:00:14.0/usb1/1-1/1-1.2/1-1.2:1.0/..."), as udev's path_id
 * builds it. NULL if the path has no USB interface. Caller frees. */
char *devices_port_path(const char *rel);

/* Settings the backends need (never NULL; the defaults are /sys and /dev). */
const char *devices_sysfs_root(const struct devices *devs);
const char *devices_dev_root(const struct devices *devs);
bool devices_include_non_usb(const struct devices *devs);

#endif
