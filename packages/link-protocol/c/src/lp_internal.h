/* Shared between the session engine (lp_subdevice.c) and the firmware receiver (lp_firmware.c). */
#ifndef LP_INTERNAL_H
#define LP_INTERNAL_H

#include "lp_subdevice.h"

/* 1 when the clock has reached t (wrap-safe). */
#define LP_DUE(now, t) ((int32_t)((uint32_t)(now) - (uint32_t)(t)) >= 0)

/* Encodes m and writes it as a frame with this seq. 0 when it does not fit the peer's max frame. */
int lp__send(lp_sub_t *s, const lp_msg_t *m, uint16_t seq);
/* Next seq for a frame this subdevice originates. */
uint16_t lp__next_seq(lp_sub_t *s);
/* Ends the session (or a wait) and says HELLO at once: CONNECTING. */
void lp__rehello(lp_sub_t *s);
/* Sends a str8-carrying FW_RESULT, cutting text (at a UTF-8 boundary) to fit the peer's frame. */
void lp__send_result(lp_sub_t *s, int ok, int16_t code, const char *text);
/* How many of text's len bytes fit in max without cutting a UTF-8 sequence. */
size_t lp__text_cut(const char *text, size_t len, size_t max);

/* Firmware receiver (lp_firmware.c). */
void lp__fw_init(lp_sub_t *s);
void lp__fw_message(lp_sub_t *s, const lp_msg_t *m);
void lp__fw_tick(lp_sub_t *s);

#endif /* LP_INTERNAL_H */
