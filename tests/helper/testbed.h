/* testbed.h - what the C tests that drive a umockdev test bed share. */
#ifndef FLASHBAY_TESTBED_H
#define FLASHBAY_TESTBED_H

#include <stdbool.h>

#include <umockdev.h>

/* Run under umockdev's preload: if it is not active, re-exec argv through
 * umockdev-wrapper (with GLib's process-lifetime allocations suppressed for
 * LeakSanitizer, from $srcdir/tests/umockdev/lsan.supp). Returns true when
 * the preload is active; false if the re-exec was impossible. */
bool testbed_ensure_preload(int argc, char **argv);

/* Unplug the tty at ttysyspath (/sys/devices/.../ttyUSB0/tty/ttyUSB0) as a
 * kernel and udev would: its "remove" event first, its /dev/serial links
 * gone, then every sysfs device up to its USB device removed. 0, or -ENOENT
 * if no USB device was found above it. */
int testbed_unplug(UMockdevTestbed *tb, const char *ttysyspath);

#endif
