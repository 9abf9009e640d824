/* yield.h - a first-pass yield as JSON and as text, with the one rule every
 * view follows (stats, the dashboard, the MQTT status, the fleet): a yield
 * over no boards is no number - JSON null, "-" on screen - never 0. */
#ifndef FLASHBAY_YIELD_H
#define FLASHBAY_YIELD_H

struct jw;

/* "first_pass_yield": yield (0..1) over boards, or null when boards is 0. */
void yield_json(struct jw *jw, double yield, long boards);
/* "91.7%" (decimals 1) or "92%" (decimals 0); "-" when boards is 0. */
void yield_text(char out[16], double yield, long boards, int decimals);

#endif
