/* devices-config.c - what the device table takes from the config: kind
 * rules, the [devices] allow/deny lists, the sysfs and /dev roots, slot pins.
 */
#include "autoconf.h"

#include "devices-internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "parse.h"
#include "xalloc.h"

/* Parse "vid:pid" / "vid:*" (hex, any case); -EINVAL if malformed. */
static int usbid_parse(const char *s, struct usbid *id)
{
	const char *colon = strchr(s, ':');
	char vid[8];
	uint32_t v, p = 0;

	if (!colon || colon == s || (size_t)(colon - s) >= sizeof vid)
		return -EINVAL;
	snprintf(vid, sizeof vid, "%.*s", (int)(colon - s), s);
	id->any_pid = !strcmp(colon + 1, "*");
	if (parse_hex_u32(vid, &v) || v > 0xffff)
		return -EINVAL;
	if (!id->any_pid && (parse_hex_u32(colon + 1, &p) || p > 0xffff))
		return -EINVAL;
	id->vid = (uint16_t)v;
	id->pid = (uint16_t)p;
	return 0;
}

/* Parse a list of "vid:pid" patterns, skipping malformed ones (config.c has
 * already rejected those with file:line). */
static struct usbid *usbids_parse(const struct strvec *sv, size_t *n)
{
	struct usbid *ids = xcalloc(sv->n + 1, sizeof *ids);

	*n = 0;
	for (size_t i = 0; i < sv->n; i++)
		if (!usbid_parse(sv->v[i], &ids[*n]))
			(*n)++;
	return ids;
}

/* Does vid:pid match one of ids? */
static bool usbids_match(const struct usbid *ids, size_t n, uint16_t vid, uint16_t pid)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i].vid == vid && (ids[i].any_pid || ids[i].pid == pid))
			return true;
	return false;
}

/* A root directory without trailing slashes ("/" stays), or def if unset. */
static char *root_dup(const char *root, const char *def)
{
	char *r = xstrdup(root && *root ? root : def);
	size_t n = strlen(r);

	while (n > 1 && r[n - 1] == '/')
		r[--n] = '\0';
	return r;
}

/* Copy what the table needs from cfg, so cfg may go away after open. */
void devices_take_config(struct devices *devs, const struct config *cfg)
{
	devs->window_ms = cfg->reappear_window_ms;
	devs->sysfs_root = root_dup(cfg->sysfs_root, "/sys");
	devs->dev_root = root_dup(cfg->dev_root, "/dev");
	devs->n_rules = cfg->n_kind_rules;
	devs->rules = xcalloc(devs->n_rules + 1, sizeof *devs->rules);
	if (devs->n_rules)
		memcpy(devs->rules, cfg->kind_rules, devs->n_rules * sizeof *devs->rules);
	devs->allow = usbids_parse(&cfg->allow, &devs->n_allow);
	devs->deny = usbids_parse(&cfg->deny, &devs->n_deny);
	devs->n_pins = cfg->n_slots;
	devs->pins = xcalloc(devs->n_pins + 1, sizeof *devs->pins);
	for (size_t i = 0; i < devs->n_pins; i++) {
		devs->pins[i].label = xstrdup(cfg->slots[i].label);
		devs->pins[i].path = xstrdup(cfg->slots[i].path);
	}
	devs->next_slot = (unsigned)devs->n_pins + 1;
}

/* The kind of vid:pid: the config's [kinds] rules first (an exact pid before
 * "vid:*", a later rule before an earlier one), then the built-in table. */
enum dev_kind devices_classify(const struct devices *devs, uint16_t vid, uint16_t pid,
			       const char **what)
{
	const struct kind_rule *any = NULL;

	for (size_t i = devs->n_rules; i-- > 0;) {
		const struct kind_rule *r = &devs->rules[i];

		if (r->vid != vid)
			continue;
		if (!r->any_pid && r->pid == pid) {
			*what = NULL;
			return r->kind;
		}
		if (r->any_pid && !any)
			any = r;
	}
	if (any) {
		*what = NULL;
		return any->kind;
	}
	return kind_lookup(vid, pid, what);
}

/* May this device be in the table ([devices] allow/deny; non-USB ttys only for --all)? */
bool devices_wanted(const struct devices *devs, const struct device_info *info)
{
	if (!info->usb)
		return devs->include_non_usb;
	if (usbids_match(devs->deny, devs->n_deny, info->vid, info->pid))
		return false;
	return !devs->n_allow || usbids_match(devs->allow, devs->n_allow, info->vid, info->pid);
}
