/*
 * earshot-ps-server: keeps one PocketSphinx decoder loaded and recognises a stream of
 * length-prefixed PCM chunks from stdin, answering one JSON line per chunk on stdout.
 *
 * Why a resident process rather than `pocketsphinx_continuous` per chunk: model load costs
 * ~0.5 s, which would dominate short chunks; and the stock CLI does its own endpointing, so its
 * output cannot be tied back to the chunk boundaries Earshot plans.
 *
 * Protocol (all little-endian):
 *   request:  uint32 sample_count, then sample_count * int16 PCM (16 kHz mono).
 *             sample_count == 0 asks the server to exit.
 *   response: {"words":[["word",start_frame,end_frame,posterior],...],"frames":N}\n
 *             frames are 10 ms. Fillers (<s>, <sil>, [NOISE]) are passed through; the caller filters.
 *   A line {"ready":true} is written once the model is loaded.
 *   Each chunk is decoded as its own stream, so its answer does not depend on earlier chunks.
 *   Exit codes: 0 after an exit request or end of input; 2 bad arguments; 3 model load failed;
 *   4 length prefix over MAX_SAMPLES; 5 out of memory; 6 decoder error. Errors go to stderr.
 * Arguments are passed to ps_init unchanged (-hmm, -lm, -dict, ...).
 */
#include <pocketsphinx.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>
#endif

/* 10 minutes of audio: no planned chunk is anywhere near this; it bounds a corrupt length prefix. */
#define MAX_SAMPLES (16000u * 600u)

static int read_full(void *buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    size_t r = fread((char *)buf + got, 1, n - got, stdin);
    if (r == 0) return -1;
    got += r;
  }
  return 0;
}

static void write_json_string(const char *s) {
  putchar('"');
  for (; *s; s++) {
    if (*s == '"' || *s == '\\') putchar('\\');
    if ((unsigned char)*s < 0x20) continue;
    putchar(*s);
  }
  putchar('"');
}

int main(int argc, char *argv[]) {
#ifdef __linux__
  /* Die with the worker that started us, even while the model loads (seconds, not reading stdin, so
   * the closed pipe would go unnoticed until then). If the worker is already gone (it died between
   * fork and prctl), stop now: it told us its pid. */
  const char *parent = getenv("EARSHOT_PARENT_PID");
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) == 0 && parent != NULL && atol(parent) != (long)getppid()) return 0;
#endif
  cmd_ln_t *config = cmd_ln_parse_r(NULL, ps_args(), argc, argv, TRUE);
  if (config == NULL) {
    fprintf(stderr, "earshot-ps-server: bad arguments\n");
    return 2;
  }
  ps_decoder_t *ps = ps_init(config);
  if (ps == NULL) {
    fprintf(stderr, "earshot-ps-server: failed to load the model\n");
    return 3;
  }
  logmath_t *lmath = ps_get_logmath(ps);
  int16_t *pcm = NULL;
  size_t cap = 0;
  printf("{\"ready\":true}\n");
  fflush(stdout);

  for (;;) {
    uint32_t n;
    if (read_full(&n, sizeof n) != 0 || n == 0) break;
    if (n > MAX_SAMPLES) {
      fprintf(stderr, "earshot-ps-server: chunk of %u samples exceeds limit\n", n);
      return 4;
    }
    if (n > cap) {
      int16_t *grown = realloc(pcm, (size_t)n * sizeof(int16_t));
      if (grown == NULL) return 5;
      pcm = grown;
      cap = n;
    }
    if (read_full(pcm, (size_t)n * sizeof(int16_t)) != 0) break;

    /* A fresh stream per chunk: PocketSphinx otherwise carries the noise estimate and the frame
     * counter over from earlier chunks, so the same chunk would decode differently depending on
     * what this process decoded before (a retry or another pool instance would disagree). */
    if (ps_start_stream(ps) < 0 || ps_start_utt(ps) < 0 || ps_process_raw(ps, pcm, n, FALSE, TRUE) < 0 ||
        ps_end_utt(ps) < 0) {
      fprintf(stderr, "earshot-ps-server: decoding failed\n");
      return 6;
    }

    printf("{\"words\":[");
    int first = 1;
    for (ps_seg_t *seg = ps_seg_iter(ps); seg != NULL; seg = ps_seg_next(seg)) {
      int sf, ef;
      int32 ascr, lscr, lback;
      ps_seg_frames(seg, &sf, &ef);
      int32 post = ps_seg_prob(seg, &ascr, &lscr, &lback);
      double p = logmath_exp(lmath, post);
      if (!first) putchar(',');
      first = 0;
      putchar('[');
      write_json_string(ps_seg_word(seg));
      printf(",%d,%d,%.4f]", sf, ef, p);
    }
    printf("],\"frames\":%d}\n", ps_get_n_frames(ps));
    fflush(stdout);
  }
  free(pcm);
  ps_free(ps);
  cmd_ln_free_r(config);
  return 0;
}
