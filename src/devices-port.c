/* devices-port.c - ports by path: whether a path is a serial port
 * (devices_check_port) and the ID_PATH-style name of the physical port a
 * sysfs path is on (devices_port_path).
 */
#include "autoconf.h"

#include "devices.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "devices-backend.h"
#include "str.h"
#include "xalloc.h"

/* Is maj:min a tty driver's device in /proc/tty/drivers? 1, 0, or -errno. */
static int tty_driver_has(unsigned maj, unsigned min)
{
	FILE *f = fopen("/proc/tty/drivers", "re");
	char line[256];
	int found = 0;

	if (!f)
		return -errno;
	/* "name  /dev/prefix  major  minor[-last]  type" */
	while (!found && fgets(line, sizeof line, f)) {
		unsigned m, lo, hi;
		int n = sscanf(line, "%*s %*s %u %u-%u", &m, &lo, &hi);

		if (n == 2)
			hi = lo;
		found = n >= 2 && m == maj && min >= lo && min <= hi;
	}
	fclose(f);
	return found;
}

/* Does path open as a terminal (without becoming our controlling one)? */
static bool opens_as_tty(const char *path)
{
	int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	bool tty = fd >= 0 && isatty(fd);

	if (fd >= 0)
		close(fd);
	return tty;
}

/* What a path that is not a serial port is, for the message. */
static const char *file_kind(mode_t mode)
{
	if (S_ISREG(mode))
		return "a regular file";
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISCHR(mode))
		return "a character device that is not a terminal";
	if (S_ISBLK(mode))
		return "a block device";
	return "not a device";
}

int devices_check_port(const char *path, struct strbuf *err)
{
	struct stat st;
	int r;

	if (stat(path, &st) < 0) {
		r = -errno;
		strbuf_addf(err, "cannot use port '%s': %s", path, strerror(-r));
		return r;
	}
	if (S_ISCHR(st.st_mode)) {
		r = tty_driver_has(major(st.st_rdev), minor(st.st_rdev));
		if (r > 0 || (r < 0 && opens_as_tty(path)))
			return 0;
	}
	strbuf_addf(err, "'%s' is not a serial port (%s)", path, file_kind(st.st_mode));
	return -ENOTTY;
}

/* Does s consist of digits and dots only (non-empty)? */
static bool digits_dots(const char *s, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(s[i] >= '0' && s[i] <= '9') && s[i] != '.')
			return false;
	return true;
}

/* "1-1.2" (a USB device) or "usb1" (a root hub)? */
static bool is_usb_device(const char *s)
{
	const char *dash = strchr(s, '-');

	if (str_starts_with(s, "usb") && digits_dots(s + 3, strlen(s + 3)))
		return true;
	return dash && digits_dots(s, (size_t)(dash - s)) && digits_dots(dash + 1, strlen(dash + 1));
}

/* "1-1.2:1.0" (a USB interface)? */
static bool is_usb_interface(const char *s)
{
	const char *dash = strchr(s, '-'), *colon = strchr(s, ':');

	return dash && colon && dash < colon && digits_dots(s, (size_t)(dash - s)) &&
	       digits_dots(dash + 1, (size_t)(colon - dash - 1)) &&
	       digits_dots(colon + 1, strlen(colon + 1));
}

/* "0000:00:14.0" (a PCI device address)? */
static bool is_pci_addr(const char *s)
{
	static const char pat[] = "xxxx:xx:xx.x";

	if (strlen(s) != sizeof pat - 1)
		return false;
	for (size_t i = 0; pat[i]; i++)
		if (pat[i] == 'x' ? !strchr("0123456789abcdef", s[i]) || !s[i] : s[i] != pat[i])
			return false;
	return true;
}

char *devices_port_path(const char *rel)
{
	struct strvec c = STRVEC_INIT;
	char *out = NULL, *tmp;
	long i, j;

	strvec_split(&c, rel, "/");
	for (i = (long)c.n - 1; i >= 0 && !is_usb_interface(c.v[i]); i--)
		;
	if (i < 0)
		goto done;
	out = xasprintf("usb-0:%s", strchr(c.v[i], '-') + 1);
	for (j = i - 1; j >= 0 && is_usb_device(c.v[j]); j--)
		;
	if (j >= 0 && is_pci_addr(c.v[j])) {
		tmp = xasprintf("pci-%s-%s", c.v[j], out);
		free(out);
		out = tmp;
		while (j >= 0 && (is_pci_addr(c.v[j]) || str_starts_with(c.v[j], "pci")))
			j--;
	}
	if (j >= 1 && !strcmp(c.v[0], "platform")) {
		tmp = xasprintf("platform-%s-%s", c.v[j], out);
		free(out);
		out = tmp;
	}
done:
	strvec_release(&c);
	return out;
}
