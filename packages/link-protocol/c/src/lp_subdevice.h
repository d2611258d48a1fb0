/*
 * The subdevice side of the iotgw link protocol, revision 2 (packages/link-protocol/README.md):
 * session (HELLO, keepalive, refusal, revision negotiation), DATA both ways, and the windowed
 * firmware receiver with SACK, resume, commit, verdict and cancel.
 *
 * Sans I/O and without malloc: the caller owns an lp_sub_t (static RAM, see sizeof), feeds it the
 * bytes it receives, calls lp_sub_tick() at least every 10 ms, and supplies hooks for the byte
 * output, the clock and the image slot in flash. Every call runs to completion; hooks are called
 * from inside lp_sub_* calls and must not call back into the same engine except where noted.
 */
#ifndef LP_SUBDEVICE_H
#define LP_SUBDEVICE_H

#include <stddef.h>
#include <stdint.h>

#include "lp_config.h"
#include "lp_crc.h"
#include "lp_frame.h"
#include "lp_msg.h"

/* Timers of §9 (subdevice side). */
#define LP_HELLO_RETRY_MS 500u
#define LP_HELLO_BACKOFF_MS 5000u
#define LP_HELLO_BACKOFF_AFTER 10u
#define LP_KEEPALIVE_MISSES 3u
#define LP_DATA_ACK_TIMEOUT_MS 300u
#define LP_DATA_ATTEMPTS 5u
#define LP_RESULT_HOLD_MS 3000u
#define LP_MAX_REORDER 32u
#define LP_MAX_TIMER_MS 0x7FFFFFFFu /* the longest wait the wrap-safe 32-bit clock can express */

typedef enum {
  LP_STATE_IDLE = 0,   /* not started, or stopped by lp_sub_bye() / the reboot hook */
  LP_STATE_CONNECTING, /* saying HELLO */
  LP_STATE_REFUSED,    /* refused: silent until retryAfterMs passed */
  LP_STATE_CONNECTED   /* in a session */
} lp_state_t;

/* Errors of lp_sub_send_data() (negative; a seq is 0..65535). */
#define LP_ERR_NOT_CONNECTED (-1)
#define LP_ERR_TOO_BIG (-2)
#define LP_ERR_BUSY (-3)

/* The image slot in flash: which image it holds and how many of its first bytes are durable. */
typedef struct {
  uint8_t md5[16];
  uint32_t size; /* 0: no image */
  uint32_t held; /* bytes [0, held) written and durable: the resume offset */
} lp_slot_t;

/* An offered image, as FW_OFFER described it. */
typedef struct {
  const char *version; /* NUL-terminated */
  uint32_t size;
  const uint8_t *md5; /* 16 bytes */
  uint16_t chunk_size;
} lp_offer_t;

typedef struct {
  uint8_t address;           /* bus address 1..254 (§3.1) */
  const char *product_id;    /* 10 upper-case letters or digits; kept by pointer */
  const char *device_name;   /* 1..48 of letters, digits and _ - . : @; kept by pointer */
  const char *firmware_version; /* copied (the engine updates it after a successful update) */
  uint8_t revision;          /* 2, or 1 to behave as a revision-1 subdevice */
  lp_crc_kind_t crc;         /* as configured at the gateway for this link */
  uint16_t max_frame;        /* announced in HELLO, 32..LP_MAX_FRAME; 0 = LP_MAX_FRAME */
  uint8_t reliable_data;     /* capability RELIABLE_DATA: DATA acknowledged and retransmitted */
  uint8_t firmware;          /* capability FIRMWARE: takes firmware updates */
  uint8_t reorder_chunks;    /* 0..32 chunks kept beyond a gap (REORDER_BUFFER + SACK); 0 = none */
  uint8_t hello_backoff;     /* after 10 unanswered HELLOs, one per 5 s instead of 500 ms */
} lp_sub_config_t;

typedef struct {
  void *ctx; /* passed to every hook */
  /* Required. */
  void (*write)(void *ctx, const uint8_t *bytes, size_t len); /* bytes to the gateway, in order */
  uint32_t (*now_ms)(void *ctx);                              /* monotonic ms, may wrap */
  /* Optional (NULL = not interested). */
  void (*data)(void *ctx, const uint8_t *payload, size_t len);   /* a downlink, delivered once */
  void (*data_sent)(void *ctx, uint16_t seq, int acknowledged);  /* reliable DATA: acked, or given up */
  void (*state)(void *ctx, lp_state_t state);                    /* every state change */
  void (*refused)(void *ctx, uint8_t reason, uint32_t retry_after_ms, const uint8_t *text, size_t len);
  /* Firmware (required when config.firmware). The slot is one image; see README "Porting". */
  int (*flash_load)(void *ctx, lp_slot_t *slot);       /* at init: the slot as last committed; 0 = none */
  int (*flash_write)(void *ctx, uint32_t offset, const uint8_t *bytes, size_t len); /* 1 = ok */
  int (*flash_read)(void *ctx, uint32_t offset, uint8_t *bytes, size_t len);        /* 1 = ok */
  int (*flash_commit)(void *ctx, const lp_slot_t *slot); /* record identity + held durably; 1 = ok.
                                                            held 0 with a new identity: a new image */
  /* May refuse an offer before anything is stored: return 0 to accept, or a FW_RESULT code
   * (e.g. LP_FW_REFUSED) and set *why to a short message. NULL accepts every offer. */
  int (*offer)(void *ctx, const lp_offer_t *offer, const char **why);
  /* The whole image is held and its MD5 verified: apply it, then report with lp_sub_applying()
   * and lp_sub_result() (from here or later). */
  void (*apply)(void *ctx, const lp_offer_t *image);
  /* An offer was accepted: FW_ACCEPT(resume) is on its way (resume = bytes already held). */
  void (*accepted)(void *ctx, const lp_offer_t *offer, uint32_t resume);
  void (*cancelled)(void *ctx, uint8_t reason); /* the gateway cancelled the transfer (bytes kept) */
  /* A successful verdict is settled: BYE(reboot) was sent, the engine is IDLE. Reboot into the new
   * image (do it after this hook returns, e.g. set a flag). NULL: nothing is sent, the engine runs on. */
  void (*reboot)(void *ctx);
} lp_sub_hooks_t;

typedef struct {
  uint8_t used;
  uint8_t attempts;
  uint16_t seq;
  uint32_t due;
  uint16_t len;
  uint8_t bytes[LP_MAX_DATA];
} lp_data_slot_t;

typedef struct {
  lp_slot_t slot;
  char version[LP_MAX_VERSION + 1u]; /* the offered version */
  uint16_t chunk_size;
  uint8_t offer_valid;   /* an offer is accepted and its transfer not ended */
  uint16_t offer_session;
  uint32_t sack;         /* bit i: chunk at held + (i + 1) * chunk_size is written too */
  uint8_t applying;
  uint8_t percent;
  uint16_t applying_session;
  uint8_t verdict;       /* a verdict is held (until the next FW_OFFER) */
  uint8_t verdict_ok;
  uint8_t settled;
  int16_t verdict_code;
  uint32_t verdict_at;   /* last time the verdict was sent */
  char verdict_text[LP_MAX_RESULT_TEXT + 1u];
} lp_fw_state_t;

typedef struct {
  lp_sub_config_t cfg;
  lp_sub_hooks_t hooks;
  char version[LP_MAX_VERSION + 1u]; /* the version this subdevice runs (announced in HELLO) */
  lp_state_t state;
  uint16_t seq;           /* last seq used: the first frame after power-on carries 1 */
  uint8_t revision;       /* agreed revision of the current session */
  uint16_t session;       /* sessions since power-on (0 = none yet) */
  uint16_t peer_max_frame;
  uint32_t keepalive_ms;
  uint32_t now;           /* the clock at the current call */
  uint32_t hello_due, keepalive_due, last_heard, refused_until;
  uint16_t hellos_unanswered;
  lp_data_slot_t out[LP_DATA_SLOTS];
  uint16_t history[LP_DATA_HISTORY];
  uint8_t history_len, history_at;
  lp_fw_state_t fw;
  lp_frame_decoder_t rx;
  uint8_t tx[LP_MAX_FRAME];
} lp_sub_t;

/* Sets the engine up (IDLE) and reads the flash slot. Returns 0 on a bad config (strings too long,
 * address 0 or 255, revision not 1..2, max_frame out of range, missing required hooks). */
int lp_sub_init(lp_sub_t *s, const lp_sub_config_t *cfg, const lp_sub_hooks_t *hooks);

/* Power-on: CONNECTING, the first HELLO at once. */
void lp_sub_start(lp_sub_t *s);

/* Bytes from the gateway, any amount, cut anywhere. */
void lp_sub_feed(lp_sub_t *s, const uint8_t *bytes, size_t len);

/* Runs the timers; call at least every 10 ms. */
void lp_sub_tick(lp_sub_t *s);

/* Sends DATA. Returns its seq (0..65535) or LP_ERR_NOT_CONNECTED, LP_ERR_TOO_BIG (more than the
 * gateway's max frame allows, or LP_MAX_DATA) or LP_ERR_BUSY (LP_DATA_SLOTS unacknowledged). */
int32_t lp_sub_send_data(lp_sub_t *s, const uint8_t *payload, size_t len);

/* Sends BYE(reason) when connected and stops (IDLE): before a shutdown or a reboot. */
void lp_sub_bye(lp_sub_t *s, uint8_t reason);

/* Stops without a word (IDLE), as a reset or a power loss would. */
void lp_sub_stop(lp_sub_t *s);

/* While applying: report progress 0..100 (sent at once; keep unprompted reports to one a second). */
void lp_sub_applying(lp_sub_t *s, uint8_t percent);

/* While applying: the verdict. ok: text is the version now running (HELLO announces it from now
 * on); else code (LP_FW_APPLY_FAILED or the subdevice's own) and a message. Returns 0 when no image
 * is being applied. May be called from the apply hook. */
int lp_sub_result(lp_sub_t *s, int ok, int16_t code, const char *text);

lp_state_t lp_sub_state(const lp_sub_t *s);
int lp_sub_settled(const lp_sub_t *s); /* a verdict is held and settled */
uint32_t lp_sub_held(const lp_sub_t *s);
const char *lp_sub_version(const lp_sub_t *s);

#endif /* LP_SUBDEVICE_H */
