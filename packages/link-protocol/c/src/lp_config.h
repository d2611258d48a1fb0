/*
 * Compile-time limits of the iotgw link protocol subdevice (C reference implementation).
 * Every buffer the core uses is sized here; the core never allocates. Override any of these
 * with -D on the compiler command line (e.g. -DLP_MAX_FRAME=64 for a small MCU).
 */
#ifndef LP_CONFIG_H
#define LP_CONFIG_H

/* The largest raw frame (header + payload + CRC) this subdevice accepts and sends: it sizes the
 * receive and the transmit buffer. The spec's default is 1100, its minimum 32 (§2). The value a
 * session announces in HELLO (lp_sub_config_t.max_frame) may be smaller, never larger. */
#ifndef LP_MAX_FRAME
#define LP_MAX_FRAME 1100u
#endif

/* DATA frames this subdevice keeps unacknowledged at once (RELIABLE_DATA, §7). 1 = stop-and-wait.
 * Each slot holds one payload of up to LP_MAX_DATA bytes for retransmission. */
#ifndef LP_DATA_SLOTS
#define LP_DATA_SLOTS 2u
#endif

/* The largest DATA payload this subdevice sends (the spec allows max frame - 5 - CRC). */
#ifndef LP_MAX_DATA
#define LP_MAX_DATA (LP_MAX_FRAME - 9u)
#endif

/* Seqs of received DATA remembered to deliver each once (§7: the last 64 per session). */
#ifndef LP_DATA_HISTORY
#define LP_DATA_HISTORY 64u
#endif

/* Longest version string kept (the hub allows 1..32 characters). */
#ifndef LP_MAX_VERSION
#define LP_MAX_VERSION 32u
#endif

/* Longest FW_RESULT message kept for the held verdict (str8 allows 255). */
#ifndef LP_MAX_RESULT_TEXT
#define LP_MAX_RESULT_TEXT 48u
#endif

/* Bytes read from flash at a time while verifying the image's MD5 (on the stack). */
#ifndef LP_VERIFY_BLOCK
#define LP_VERIFY_BLOCK 64u
#endif

#if LP_MAX_FRAME < 32u
#error "LP_MAX_FRAME must be at least 32 (spec section 2)"
#endif
#if LP_MAX_DATA > LP_MAX_FRAME - 7u
#error "LP_MAX_DATA must fit a frame: at most LP_MAX_FRAME - 5 - 2"
#endif
#if LP_DATA_HISTORY < 1u || LP_DATA_HISTORY > 255u
#error "LP_DATA_HISTORY must be 1..255"
#endif
#if LP_DATA_SLOTS < 1u
#error "LP_DATA_SLOTS must be at least 1"
#endif

#endif /* LP_CONFIG_H */
