/*
 * lp-demo: a subdevice on a serial port or pty, built on the C reference implementation.
 * Sends a reading every --interval-ms, prints downlinks, takes firmware updates into
 * --state-dir, "reboots" into the new version, and injects the faults the end-to-end tests need.
 * Events go to stdout, one line each (see README "Demo"); errors to stderr.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../src/lp_subdevice.h"
#include "flash_file.h"
#include "serial_port.h"

typedef struct {
  const char *port, *product_id, *device_name, *version, *state_dir;
  long baud, interval_ms, crash_at, reboot_at, apply_ms, boot_ms, max_frame, address, revision, reorder;
  int reboot_bye, fail_apply, reliable, crc16, readings;
} options_t;

typedef struct {
  options_t opt;
  int fd;
  flash_file_t flash;
  lp_sub_t sub;
  lp_sub_config_t cfg;
  lp_sub_hooks_t hooks;
  char version[LP_MAX_VERSION + 1];
  uint8_t out[1 << 16];
  size_t out_len;
  /* applying */
  int applying;
  long apply_started;
  char apply_version[LP_MAX_VERSION + 1];
  uint32_t apply_size;
  int reported_half;
  /* reboot and faults */
  long reboot_at_ms; /* when to boot again; 0 = not rebooting */
  int quick_reboot_done;
  uint32_t image_size, last_decile;
  long next_reading;
  unsigned reading_no;
} demo_t;

static volatile sig_atomic_t stop_requested;
static void on_signal(int sig) {
  (void)sig;
  stop_requested = 1;
}

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long)ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* ---- hooks ---- */
static void hook_write(void *ctx, const uint8_t *bytes, size_t len) {
  demo_t *d = (demo_t *)ctx;
  if (d->out_len + len > sizeof d->out) return; /* never: flushed every loop */
  memcpy(d->out + d->out_len, bytes, len);
  d->out_len += len;
}

static uint32_t hook_now(void *ctx) {
  (void)ctx;
  return (uint32_t)now_ms();
}

static void print_text(const uint8_t *p, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) putchar(p[i] >= 0x20 && p[i] < 0x7F ? p[i] : '.');
}

static void hook_data(void *ctx, const uint8_t *payload, size_t len) {
  (void)ctx;
  printf("downlink ");
  print_text(payload, len);
  putchar('\n');
}

static void hook_data_sent(void *ctx, uint16_t seq, int acked) {
  (void)ctx;
  if (!acked) printf("data given up seq=%u\n", (unsigned)seq);
}

static void hook_state(void *ctx, lp_state_t state) {
  static const char *names[] = {"idle", "connecting", "refused", "connected"};
  (void)ctx;
  printf("state %s\n", names[state]);
}

static void hook_refused(void *ctx, uint8_t reason, uint32_t retry_ms, const uint8_t *text, size_t len) {
  (void)ctx;
  printf("refused reason=%u retry_ms=%lu text=", (unsigned)reason, (unsigned long)retry_ms);
  print_text(text, len);
  putchar('\n');
}

static void hook_accepted(void *ctx, const lp_offer_t *offer, uint32_t resume) {
  demo_t *d = (demo_t *)ctx;
  d->image_size = offer->size;
  d->last_decile = offer->size ? (uint32_t)((unsigned long long)resume * 10u / offer->size) : 0u;
  printf("offer version=%s size=%lu chunk=%u resume=%lu\n", offer->version, (unsigned long)offer->size, (unsigned)offer->chunk_size,
         (unsigned long)resume);
}

static void hook_apply(void *ctx, const lp_offer_t *image) {
  demo_t *d = (demo_t *)ctx;
  d->applying = 1;
  d->apply_started = now_ms();
  d->reported_half = 0;
  d->apply_size = image->size;
  snprintf(d->apply_version, sizeof d->apply_version, "%s", image->version);
  printf("applying version=%s\n", image->version);
}

static void hook_cancelled(void *ctx, uint8_t reason) {
  demo_t *d = (demo_t *)ctx;
  printf("cancelled reason=%u held=%lu\n", (unsigned)reason, (unsigned long)lp_sub_held(&d->sub));
}

static void hook_reboot(void *ctx) {
  demo_t *d = (demo_t *)ctx;
  printf("reboot version=%s\n", lp_sub_version(&d->sub));
  d->reboot_at_ms = now_ms() + d->opt.boot_ms; /* the engine is IDLE until then */
}

static int hook_flash_load(void *ctx, lp_slot_t *slot) { return flash_file_load(&((demo_t *)ctx)->flash, slot); }
static int hook_flash_write(void *ctx, uint32_t offset, const uint8_t *bytes, size_t len) {
  return flash_file_write(&((demo_t *)ctx)->flash, offset, bytes, len);
}
static int hook_flash_read(void *ctx, uint32_t offset, uint8_t *bytes, size_t len) {
  return flash_file_read(&((demo_t *)ctx)->flash, offset, bytes, len);
}
static int hook_flash_commit(void *ctx, const lp_slot_t *slot) { return flash_file_commit(&((demo_t *)ctx)->flash, slot); }

/* ---- engine ---- */
static int boot(demo_t *d) {
  char installed[LP_MAX_VERSION + 1];
  if (flash_file_installed(&d->flash, installed, sizeof installed)) snprintf(d->version, sizeof d->version, "%s", installed);
  else snprintf(d->version, sizeof d->version, "%s", d->opt.version);
  d->cfg.firmware_version = d->version;
  if (!lp_sub_init(&d->sub, &d->cfg, &d->hooks)) return 0;
  d->applying = 0;
  printf("boot version=%s held=%lu\n", d->version, (unsigned long)lp_sub_held(&d->sub));
  lp_sub_start(&d->sub);
  return 1;
}

static int flush_out(demo_t *d) {
  size_t at = 0;
  while (at < d->out_len) {
    ssize_t n = write(d->fd, d->out + at, d->out_len - at);
    if (n < 0) {
      if (errno == EINTR) continue;
      return 0;
    }
    at += (size_t)n;
  }
  d->out_len = 0;
  return 1;
}

static void step_apply(demo_t *d) {
  long elapsed = now_ms() - d->apply_started;
  if (!d->applying) return;
  if (!d->reported_half && elapsed >= d->opt.apply_ms / 2) {
    d->reported_half = 1;
    lp_sub_applying(&d->sub, 50);
  }
  if (elapsed < d->opt.apply_ms) return;
  d->applying = 0;
  if (d->opt.fail_apply) {
    printf("result fail code=-5\n");
    lp_sub_result(&d->sub, 0, LP_FW_APPLY_FAILED, "apply failed (--fail-apply)");
  } else if (!flash_file_install(&d->flash, d->apply_version, d->apply_size)) {
    printf("result fail code=-5 (install)\n");
    lp_sub_result(&d->sub, 0, LP_FW_APPLY_FAILED, "cannot write the firmware file");
  } else {
    printf("result ok version=%s\n", d->apply_version);
    lp_sub_result(&d->sub, 1, 0, d->apply_version);
  }
}

static void step_faults(demo_t *d) {
  uint32_t held = lp_sub_held(&d->sub);
  if (d->image_size > 0u && lp_sub_state(&d->sub) == LP_STATE_CONNECTED) {
    uint32_t decile = (uint32_t)((unsigned long long)held * 10u / d->image_size);
    if (decile != d->last_decile) {
      d->last_decile = decile;
      printf("progress held=%lu size=%lu\n", (unsigned long)held, (unsigned long)d->image_size);
    }
  }
  if (d->opt.crash_at >= 0 && d->image_size > 0u && held >= (uint32_t)d->opt.crash_at && held < d->image_size) {
    /* Power loss: no BYE, no flush of what the engine still had to say. */
    printf("crash held=%lu\n", (unsigned long)held);
    fflush(stdout);
    _exit(3);
  }
  if (d->opt.reboot_at >= 0 && !d->quick_reboot_done && d->image_size > 0u && held >= (uint32_t)d->opt.reboot_at && held < d->image_size) {
    d->quick_reboot_done = 1;
    printf("quick reboot held=%lu bye=%d\n", (unsigned long)held, d->opt.reboot_bye);
    if (d->opt.reboot_bye) lp_sub_bye(&d->sub, LP_BYE_REBOOT);
    else lp_sub_stop(&d->sub); /* a watchdog reset says nothing */
    d->reboot_at_ms = now_ms() + d->opt.boot_ms;
  }
}

static void step_reading(demo_t *d) {
  char text[96];
  long now = now_ms();
  int n;
  if (d->opt.interval_ms <= 0 || now < d->next_reading) return;
  d->next_reading = now + d->opt.interval_ms;
  if (lp_sub_state(&d->sub) != LP_STATE_CONNECTED) return;
  if (d->opt.readings >= 0 && d->reading_no >= (unsigned)d->opt.readings) return;
  n = snprintf(text, sizeof text, "{\"n\":%u,\"temp\":%d.%d,\"version\":\"%s\"}", d->reading_no, 21 + (int)(d->reading_no % 5u),
               (int)(d->reading_no % 10u), lp_sub_version(&d->sub));
  if (lp_sub_send_data(&d->sub, (const uint8_t *)text, (size_t)n) >= 0) {
    d->reading_no++;
    printf("reading %s\n", text);
  }
}

/* ---- command line ---- */
static void usage(FILE *to) {
  fprintf(to,
          "usage: lp-demo --port TTY --product-id PID --device-name NAME [options]\n"
          "  --version V          factory firmware version (default 1.0.0; an installed update wins)\n"
          "  --state-dir DIR      where the image slot and the installed version live (default ./lp-demo-state)\n"
          "  --address N          bus address 1..254 (default 1)\n"
          "  --crc crc32c|crc16   frame checksum, as the gateway's link is configured (default crc32c)\n"
          "  --max-frame N        max frame size announced in HELLO (default %u)\n"
          "  --revision 1|2       protocol revision to speak (default 2)\n"
          "  --interval-ms N      a reading every N ms (default 1000; 0 = none)\n"
          "  --readings N         stop sending readings after N (default: no limit)\n"
          "  --no-reliable        no RELIABLE_DATA capability\n"
          "  --reorder N          chunks kept beyond a gap, 0..32 (default 8; 0 = no SACK)\n"
          "  --apply-ms N         how long applying an image takes (default 400)\n"
          "  --boot-ms N          how long a reboot takes (default 300)\n"
          "  --fail-apply         applying fails (FW_RESULT -5)\n"
          "  --crash-at BYTES     exit at once (status 3, no BYE) once BYTES of an image are held\n"
          "  --reboot-at BYTES    reboot in-process (seq restarts at 0) once BYTES are held, once\n"
          "  --reboot-bye         send BYE(reboot) before that reboot (default: a silent watchdog reset)\n"
          "  --baud N             9600..115200 (default 115200)\n",
          LP_MAX_FRAME);
}

static int parse_args(int argc, char **argv, options_t *o) {
  int i;
  memset(o, 0, sizeof *o);
  o->version = "1.0.0";
  o->state_dir = "./lp-demo-state";
  o->baud = 115200;
  o->interval_ms = 1000;
  o->crash_at = o->reboot_at = -1;
  o->apply_ms = 400;
  o->boot_ms = 300;
  o->max_frame = LP_MAX_FRAME;
  o->address = 1;
  o->revision = 2;
  o->reorder = 8;
  o->reliable = 1;
  o->readings = -1;
  for (i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    long *num = NULL;
    if (strcmp(a, "--help") == 0) {
      usage(stdout);
      exit(0);
    } else if (strcmp(a, "--reboot-bye") == 0) {
      o->reboot_bye = 1;
      continue;
    } else if (strcmp(a, "--fail-apply") == 0) {
      o->fail_apply = 1;
      continue;
    } else if (strcmp(a, "--no-reliable") == 0) {
      o->reliable = 0;
      continue;
    }
    if (!v) {
      fprintf(stderr, "lp-demo: %s needs a value\n", a);
      return 0;
    }
    i++;
    if (strcmp(a, "--port") == 0) o->port = v;
    else if (strcmp(a, "--product-id") == 0) o->product_id = v;
    else if (strcmp(a, "--device-name") == 0) o->device_name = v;
    else if (strcmp(a, "--version") == 0) o->version = v;
    else if (strcmp(a, "--state-dir") == 0) o->state_dir = v;
    else if (strcmp(a, "--crc") == 0) {
      if (strcmp(v, "crc16") != 0 && strcmp(v, "crc32c") != 0) {
        fprintf(stderr, "lp-demo: --crc must be crc32c or crc16, not %s\n", v);
        return 0;
      }
      o->crc16 = strcmp(v, "crc16") == 0;
    } else if (strcmp(a, "--readings") == 0) {
      o->readings = atoi(v);
    } else {
      if (strcmp(a, "--address") == 0) num = &o->address;
      else if (strcmp(a, "--max-frame") == 0) num = &o->max_frame;
      else if (strcmp(a, "--revision") == 0) num = &o->revision;
      else if (strcmp(a, "--interval-ms") == 0) num = &o->interval_ms;
      else if (strcmp(a, "--reorder") == 0) num = &o->reorder;
      else if (strcmp(a, "--apply-ms") == 0) num = &o->apply_ms;
      else if (strcmp(a, "--boot-ms") == 0) num = &o->boot_ms;
      else if (strcmp(a, "--crash-at") == 0) num = &o->crash_at;
      else if (strcmp(a, "--reboot-at") == 0) num = &o->reboot_at;
      else if (strcmp(a, "--baud") == 0) num = &o->baud;
      else {
        fprintf(stderr, "lp-demo: unknown option %s (see --help)\n", a);
        return 0;
      }
      {
        char *end;
        *num = strtol(v, &end, 10);
        if (*end != '\0') {
          fprintf(stderr, "lp-demo: %s wants a number, not %s\n", a, v);
          return 0;
        }
      }
    }
  }
  if (!o->port || !o->product_id || !o->device_name) {
    fprintf(stderr, "lp-demo: --port, --product-id and --device-name are required (see --help)\n");
    return 0;
  }
  return 1;
}

int main(int argc, char **argv) {
  static demo_t d;
  struct sigaction sa;
  if (!parse_args(argc, argv, &d.opt)) return 2;
  setvbuf(stdout, NULL, _IOLBF, 0);
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  if (!flash_file_open(&d.flash, d.opt.state_dir)) {
    fprintf(stderr, "lp-demo: cannot use --state-dir %s: %s\n", d.opt.state_dir, strerror(errno));
    return 1;
  }
  d.fd = serial_open(d.opt.port, d.opt.baud);
  if (d.fd < 0) {
    fprintf(stderr, "lp-demo: cannot open %s: %s\n", d.opt.port, strerror(errno));
    return 1;
  }
  d.cfg.address = (uint8_t)d.opt.address;
  d.cfg.product_id = d.opt.product_id;
  d.cfg.device_name = d.opt.device_name;
  d.cfg.revision = (uint8_t)d.opt.revision;
  d.cfg.crc = d.opt.crc16 ? LP_CRC16 : LP_CRC32C;
  d.cfg.max_frame = (uint16_t)d.opt.max_frame;
  d.cfg.reliable_data = (uint8_t)d.opt.reliable;
  d.cfg.firmware = 1;
  d.cfg.reorder_chunks = (uint8_t)d.opt.reorder;
  d.cfg.hello_backoff = 1;
  d.hooks.ctx = &d;
  d.hooks.write = hook_write;
  d.hooks.now_ms = hook_now;
  d.hooks.data = hook_data;
  d.hooks.data_sent = hook_data_sent;
  d.hooks.state = hook_state;
  d.hooks.refused = hook_refused;
  d.hooks.flash_load = hook_flash_load;
  d.hooks.flash_write = hook_flash_write;
  d.hooks.flash_read = hook_flash_read;
  d.hooks.flash_commit = hook_flash_commit;
  d.hooks.apply = hook_apply;
  d.hooks.accepted = hook_accepted;
  d.hooks.cancelled = hook_cancelled;
  d.hooks.reboot = hook_reboot;
  if (!boot(&d)) {
    fprintf(stderr, "lp-demo: the subdevice config was refused (address 1..254, revision 1..2, max frame 32..%u, strings)\n", LP_MAX_FRAME);
    return 2;
  }
  d.next_reading = now_ms() + d.opt.interval_ms;
  while (!stop_requested) {
    struct pollfd p;
    uint8_t buf[4096];
    p.fd = d.fd;
    p.events = POLLIN;
    p.revents = 0;
    if (poll(&p, 1, 5) > 0) {
      ssize_t n = read(d.fd, buf, sizeof buf);
      if (n > 0 && d.reboot_at_ms == 0) lp_sub_feed(&d.sub, buf, (size_t)n);
      if (n < 0 && errno != EINTR && errno != EAGAIN) {
        fprintf(stderr, "lp-demo: reading %s: %s\n", d.opt.port, strerror(errno));
        return 1;
      }
      if (n == 0 && (p.revents & POLLHUP)) {
        /* The other end is away (socat restarting): keep trying without spinning. */
        struct timespec pause = {0, 5000000L};
        nanosleep(&pause, NULL);
      }
    }
    if (d.reboot_at_ms != 0) {
      d.out_len = 0; /* a rebooting MCU sends nothing */
      if (now_ms() >= d.reboot_at_ms) {
        d.reboot_at_ms = 0;
        if (!boot(&d)) return 1;
      }
    } else {
      lp_sub_tick(&d.sub);
      step_apply(&d);
      step_faults(&d);
      step_reading(&d);
    }
    if (!flush_out(&d)) {
      fprintf(stderr, "lp-demo: writing %s: %s\n", d.opt.port, strerror(errno));
      return 1;
    }
  }
  lp_sub_bye(&d.sub, LP_BYE_SHUTDOWN);
  flush_out(&d);
  printf("stopped\n");
  return 0;
}
