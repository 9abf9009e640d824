/* devices-slots.c - a slot number per physical port, for the life of the
 * process: pinned by the config's [slots], else the next free one.
 */
#include "autoconf.h"

#include "devices-internal.h"

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "path.h"
#include "xalloc.h"

/* Does a by-path link (full path or basename) name the pinned path: equal,
 * or the pin followed by '-' ("...:1.0" pins "...:1.0-port0")? */
static bool pin_matches_link(const char *pin, const char *link)
{
	const char *cands[2] = { link, path_basename(link) };

	for (size_t i = 0; i < 2; i++) {
		size_t n = strlen(pin);

		if (!strncmp(cands[i], pin, n) && (cands[i][n] == '\0' || cands[i][n] == '-'))
			return true;
	}
	return false;
}

/* Does pin match device d (its ID_PATH, or one of its by-path links)? */
static bool pin_matches(const struct slot_pin *pin, const struct device *d)
{
	if (d->id_path && !strcmp(d->id_path, pin->path))
		return true;
	for (size_t i = 0; i < d->devlinks.n; i++)
		if (strstr(d->devlinks.v[i], "/serial/by-path/") &&
		    pin_matches_link(pin->path, d->devlinks.v[i]))
			return true;
	return false;
}

/* Is slot number s already taken by a known port? */
static bool slot_taken(const struct devices *devs, unsigned s)
{
	for (size_t i = 0; i < devs->n_ports; i++)
		if (devs->ports[i].slot == s)
			return true;
	return false;
}

/* The port with this key, or NULL. */
static struct port *port_find(struct devices *devs, const char *key)
{
	for (size_t i = 0; i < devs->n_ports; i++)
		if (!strcmp(devs->ports[i].key, key))
			return &devs->ports[i];
	return NULL;
}

/* The port d sits on; a port seen for the first time gets its pinned slot
 * ([slots] in file order) or the next free number, for life. */
struct port *devices_port_get(struct devices *devs, const struct device *d)
{
	struct port *p = port_find(devs, d->port_key);
	unsigned slot = 0;
	const char *label = NULL;

	if (p)
		return p;
	for (size_t i = 0; i < devs->n_pins && !slot; i++) {
		if (!slot_taken(devs, (unsigned)i + 1) && pin_matches(&devs->pins[i], d)) {
			slot = (unsigned)i + 1;
			label = devs->pins[i].label;
		}
	}
	if (!slot)
		slot = devs->next_slot++;
	devs->ports = xgrow(devs->ports, &devs->alloc_ports, devs->n_ports + 1, sizeof *devs->ports);
	p = &devs->ports[devs->n_ports++];
	*p = (struct port){ .key = xstrdup(d->port_key), .slot = slot, .label = label };
	return p;
}
