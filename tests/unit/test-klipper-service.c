/* test-klipper-service.c - service commands (sudo -n when not root, several
 * services in one call) and the Moonraker answer parsing. */
#include "autoconf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "config.h"
#include "moonraker.h"
#include "service.h"

static char *joined(const struct strvec *sv)
{
	return strvec_join(sv, " ");
}

static void commands(void)
{
	struct config cfg;
	struct strvec argv = STRVEC_INIT;
	struct job_spec spec = JOB_SPEC_INIT;
	struct strbuf msg = STRBUF_INIT;
	char *s;

	config_init(&cfg);
	config_defaults(&cfg);
	setenv("FLASHBAY_EUID", "0", 1);
	ok(!service_need_sudo(), "root: no sudo");
	service_command(&cfg, "stop", &argv);
	s = joined(&argv);
	is_str(s, "systemctl stop klipper", "root: systemctl stop klipper");
	free(s);
	strvec_release(&argv);

	setenv("FLASHBAY_EUID", "1000", 1);
	ok(service_need_sudo(), "not root: sudo");
	strvec_release(&cfg.services);
	strvec_push(&cfg.services, "klipper-1");
	strvec_push(&cfg.services, "klipper-2");
	service_spec(&cfg, "start", &spec);
	s = joined(&spec.argv);
	is_str(s, "sudo -n systemctl start klipper-1 klipper-2",
	       "not root: sudo -n, all services in one call");
	free(s);
	is_int(spec.timeout_ms, 30000, "service timeout from [klipper] service_timeout");
	job_spec_release(&spec);
	s = service_names(&cfg);
	is_str(s, "klipper-1 klipper-2", "service names");
	free(s);

	service_failure_message(&cfg, "start", "exit 1", "Job for klipper-1.service failed", &msg);
	ok(strstr(msg.buf, "FAILED to start the printer service klipper-1 klipper-2 (exit 1)") &&
		   strstr(msg.buf, "run by hand: sudo -n systemctl start klipper-1 klipper-2"),
	   "a failed start is shouted with the command to run by hand");
	unsetenv("FLASHBAY_EUID");
	strbuf_release(&msg);
	config_release(&cfg);
}

static void moonraker_lines(void)
{
	struct moonraker_result r;
	struct job_status st = { .exited = true, .code = 1 };

	memset(&r, 0, sizeof r);
	moonraker_parse_line(&r, "state printing");
	is_int(r.verdict, MOONRAKER_BUSY, "printing: busy");
	is_str(r.state, "printing", "state kept");
	memset(&r, 0, sizeof r);
	moonraker_parse_line(&r, "state paused");
	is_int(r.verdict, MOONRAKER_BUSY, "paused: busy");
	memset(&r, 0, sizeof r);
	moonraker_parse_line(&r, "state standby");
	is_int(r.verdict, MOONRAKER_IDLE, "standby: idle");
	memset(&r, 0, sizeof r);
	moonraker_parse_line(&r, "state error");
	is_int(r.verdict, MOONRAKER_IDLE, "print_stats error (a failed print): not printing");
	memset(&r, 0, sizeof r);
	moonraker_parse_line(&r, "unreachable cannot reach Moonraker at http://x: refused");
	is_int(r.verdict, MOONRAKER_UNREACHABLE, "unreachable");
	is_str(r.message, "cannot reach Moonraker at http://x: refused", "its message");
	moonraker_parse_line(&r, "state printing");
	is_int(r.verdict, MOONRAKER_UNREACHABLE, "only the first answer counts");
	memset(&r, 0, sizeof r);
	moonraker_parse_line(&r, "error Moonraker answered HTTP 503: Klippy Disconnected");
	is_int(r.verdict, MOONRAKER_BAD_REPLY, "error: bad reply");
	memset(&r, 0, sizeof r);
	moonraker_parse_line(&r, "unavailable built without libcurl");
	is_int(r.verdict, MOONRAKER_UNAVAILABLE, "unavailable");
	memset(&r, 0, sizeof r);
	moonraker_parse_line(&r, "state \033[2Jprinting");
	is_str(r.state, "?[2Jprinting", "control characters never reach the state");
	is_int(r.verdict, MOONRAKER_IDLE, "... and such a state is not 'printing'");
	memset(&r, 0, sizeof r);
	is_int(moonraker_finish(&r, &st), MOONRAKER_UNREACHABLE, "no line at all: unreachable");
	ok(strstr(r.message, "without an answer (exit 1)") != NULL, "explained");
	memset(&r, 0, sizeof r);
	st.timed_out = true;
	moonraker_finish(&r, &st);
	is_str(r.message, "no answer from Moonraker in time", "timeout explained");
}

static void moonraker_json(void)
{
	char state[32];
	struct strbuf err = STRBUF_INIT;
	const char *real = "{\"result\": {\"eventtime\": 3798.412591, \"status\": {\"print_stats\": "
			   "{\"filename\": \"a \\\"b\\\".gcode\", \"total_duration\": 0.0, \"info\": "
			   "{\"total_layer\": null, \"current_layer\": [1, {\"x\": true}]}, "
			   "\"state\": \"printing\", \"message\": \"\"}}}}";

	is_int(moonraker_state_from_json(real, state, sizeof state, &err), 0, "a real reply parses");
	is_str(state, "printing", "state found after nested values and escaped quotes");
	is_int(moonraker_state_from_json("{\"result\":{\"status\":{\"print_stats\":{\"state\":\"standby\"}}}}",
					 state, sizeof state, &err),
	       0, "compact JSON");
	is_str(state, "standby", "compact: standby");
	is_int(moonraker_state_from_json("{\"error\": {\"code\": 503, \"message\": \"Klippy Disconnected\"}}",
					 state, sizeof state, &err),
	       -EINVAL, "error reply");
	is_str(err.buf, "Klippy Disconnected", "its message");
	strbuf_reset(&err);
	is_int(moonraker_state_from_json("<html>", state, sizeof state, &err), -EINVAL, "not JSON");
	strbuf_reset(&err);
	is_int(moonraker_state_from_json("{\"result\":{\"status\":{}}}", state, sizeof state, &err), -EINVAL,
	       "no print_stats");
	strbuf_reset(&err);
	is_int(moonraker_state_from_json("{\"result\":{\"status\":{\"print_stats\":{\"state\":\"pri", state,
					 sizeof state, &err),
	       -EINVAL, "truncated reply");
	strbuf_release(&err);
}

int main(void)
{
	commands();
	moonraker_lines();
	moonraker_json();
	return done_testing();
}
